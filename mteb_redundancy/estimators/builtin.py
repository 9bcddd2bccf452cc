"""The project's own estimators, in the order tables show them. The default plugin
(``mteb_redundancy.default_plugins.estimators``) registers exactly these; ``paired_bootstrap`` also
accepts their names. A new built-in estimator is one module with an ``ESTIMATOR`` and one line here."""

from mteb_redundancy.estimators.isoscore import ESTIMATOR as ISOSCORE
from mteb_redundancy.estimators.lpca import ESTIMATOR as LPCA
from mteb_redundancy.estimators.mle import ESTIMATOR as MLE
from mteb_redundancy.estimators.twonn import ESTIMATOR as TWONN

BUILT_IN_ESTIMATORS = (TWONN, ISOSCORE, MLE, LPCA)
