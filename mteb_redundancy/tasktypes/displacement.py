"""Deprecated alias of :mod:`mteb_redundancy.analyses.displacement.task_type`."""

import warnings

from mteb_redundancy.analyses.displacement.task_type import *  # noqa: F403
from mteb_redundancy.analyses.displacement.task_type import (  # noqa: F401
    AbsTaskInstructionDisplacement,
    InstructionDisplacementMetadata,
)

warnings.warn(
    "mteb_redundancy.tasktypes.displacement is deprecated; import AbsTaskInstructionDisplacement from mteb_redundancy "
    "instead.",
    DeprecationWarning,
    stacklevel=2,
)
