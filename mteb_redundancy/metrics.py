"""Deprecated: the estimators moved to :mod:`mteb_redundancy.estimators`; this alias goes in the next release."""

import warnings

from mteb_redundancy.estimators import *  # noqa: F403
from mteb_redundancy.estimators import __all__  # noqa: F401

warnings.warn(
    "mteb_redundancy.metrics is deprecated; import from mteb_redundancy.estimators instead.",
    DeprecationWarning,
    stacklevel=2,
)
