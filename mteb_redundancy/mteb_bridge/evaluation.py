"""Running MTEB's own evaluation of a task more than once in a process, as separate runs would."""

from __future__ import annotations

import copy
import random
import sys

import numpy as np


def fresh_task(task):
    """The task as ``mteb.get_task`` hands it to a separate run: same loaded data, random state
    re-seeded as ``AbsTask.__init__`` seeds it (clustering draws its samples from ``rng_state``),
    so that every d of a sweep scores exactly as its own ``mteb run`` would."""
    fresh = copy.copy(task)
    random.seed(task.seed)
    np.random.seed(task.seed)  # noqa: NPY002  (MTEB seeds the global state too)
    if "torch" in sys.modules:
        sys.modules["torch"].manual_seed(task.seed)
    fresh.rng_state = random.Random(task.seed)
    fresh.np_rng = np.random.default_rng(task.seed)
    return fresh
