"""Deprecated alias of :mod:`mteb_redundancy.analyses.redundancy.task_type`."""

import warnings

from mteb_redundancy.analyses.redundancy.task_type import *  # noqa: F403
from mteb_redundancy.analyses.redundancy.task_type import (  # noqa: F401
    AbsTaskRedundancy,
    RedundancyMetadata,
)

warnings.warn(
    "mteb_redundancy.tasktypes.redundancy is deprecated; import AbsTaskRedundancy from mteb_redundancy instead.",
    DeprecationWarning,
    stacklevel=2,
)
