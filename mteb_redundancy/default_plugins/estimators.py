"""The built-in estimators (TwoNN, IsoScore, MLE, lPCA), registered through the
``register_estimators`` hook as a plugin's would be."""

from mteb_redundancy.estimators.builtin import BUILT_IN_ESTIMATORS
from mteb_redundancy.hookspecs import hookimpl


@hookimpl
def register_estimators(register):
    for estimator in BUILT_IN_ESTIMATORS:
        register(estimator)
