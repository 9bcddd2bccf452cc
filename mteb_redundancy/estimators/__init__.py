"""The estimators, pure numpy (no MTEB, torch or scikit-learn import), points as rows.

- the contract: :class:`Estimator` (``registry``), registered through the ``register_estimators`` hook;
- nearest neighbours: :class:`NeighbourLists` (``neighbours``), one exact computation per cloud shared by
  every neighbour-based estimator and every split;
- intrinsic dimension: :func:`twonn` / :class:`TwoNN` (Facco et al. 2017), :func:`mle` (Levina & Bickel
  2004), :func:`lpca` (Fukunaga & Olsen 1971), as scikit-dimension computes them;
- isotropy: :func:`isoscore` (Rudman et al. 2022) and its isotropic-Gaussian baseline;
- uncertainty: :func:`paired_bootstrap` (paired random split-half intervals, from one encoding);
- alignment of models: :func:`pca_reduce`, :func:`orthogonal_procrustes`,
  :func:`normalized_procrustes_distance` (Ogawa et al.), :func:`classical_mds`, :func:`metric_mds`.
"""

from mteb_redundancy.estimators.bootstrap import (
    BootstrapResult,
    Interval,
    format_difference,
    paired_bootstrap,
)
from mteb_redundancy.estimators.displacement import (
    displacement,
    displacement_by_condition,
)
from mteb_redundancy.estimators.isoscore import (
    gaussian_isoscore_baseline,
    gaussian_isoscore_expected,
    isoscore,
    isoscore_from_variances,
    principal_variances,
)
from mteb_redundancy.estimators.lpca import lpca
from mteb_redundancy.estimators.mds import (
    classical_mds,
    cosine_distance_matrix,
    kruskal_stress,
    metric_mds,
)
from mteb_redundancy.estimators.mle import mle
from mteb_redundancy.estimators.neighbours import NeighbourLists
from mteb_redundancy.estimators.pca import (
    PCAResult,
    pad_columns,
    pad_to_common_width,
    pca_reduce,
    pca_reduce_conditions,
)
from mteb_redundancy.estimators.procrustes import (
    align_to_reference,
    fit_rotations_to_reference,
    normalized_procrustes_distance,
    orthogonal_procrustes,
    procrustes_distance_matrix,
    reference_scores,
    select_reference,
)
from mteb_redundancy.estimators.registry import Estimator
from mteb_redundancy.estimators.twonn import (
    TwoNN,
    TwoNNResult,
    deduplicate_rows,
    intrinsic_dimension,
    two_nearest_distances,
    twonn,
)

__all__ = [
    "BootstrapResult", "Estimator", "Interval", "NeighbourLists", "lpca", "mle", "PCAResult", "TwoNN", "TwoNNResult", "align_to_reference", "classical_mds",
    "cosine_distance_matrix", "deduplicate_rows", "displacement", "displacement_by_condition",
    "fit_rotations_to_reference", "format_difference", "gaussian_isoscore_baseline", "gaussian_isoscore_expected", "intrinsic_dimension",
    "isoscore", "isoscore_from_variances", "kruskal_stress", "metric_mds", "normalized_procrustes_distance",
    "orthogonal_procrustes", "pad_columns", "paired_bootstrap", "pad_to_common_width", "pca_reduce", "pca_reduce_conditions",
    "principal_variances", "procrustes_distance_matrix", "reference_scores", "select_reference",
    "two_nearest_distances", "twonn",
]
