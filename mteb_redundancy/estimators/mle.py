"""MLE intrinsic dimension (Levina & Bickel 2004) averaged as MacKay & Ghahramani (2005) propose,
exactly as scikit-dimension's ``skdim.id.MLE().fit(X).dimension_`` computes it with its defaults.

Pure numpy; the neighbours come from the shared core (:mod:`mteb_redundancy.estimators.neighbours`).
Points are rows.

With T_1(x) <= ... <= T_k(x) the distances of point x to its k = 20 nearest other points, the
pointwise estimate is ``m(x) = (k - 1) / sum_{j<k} log(T_k(x) / T_j(x))`` (scikit-dimension's
``unbiased=False``; Levina & Bickel's normalisation) and the global one is the inverse of the mean
of the inverses, ``1 / mean_x(1 / m(x))`` (``comb="mle"``): 1 / m(x) is unbiased for 1 / ID under
the local Poisson model, m(x) itself is not. No noise model (``dnoise=None, sigma=0``).

Bias: like TwoNN, MLE underestimates high intrinsic dimensions at a finite number of points (the
neighbourhoods are too large for the density to be locally uniform; boundaries shrink them further):
on a uniform 10-cube with 2,000 points it gives about 8. At low ID without boundary it is close to
the truth. Report the value as computed.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mteb_redundancy.estimators.neighbours import CloudNeighbours, cloud_neighbours
from mteb_redundancy.estimators.registry import Estimator

__all__ = ["DEFAULT_N_NEIGHBORS", "ESTIMATOR", "mle", "mle_from_distances"]

DEFAULT_N_NEIGHBORS = 20  # scikit-dimension's MLE._N_NEIGHBORS


def mle_from_distances(distances: np.ndarray) -> float:
    """The global MLE from each point's sorted distances to its k nearest other points, (N, k)."""
    T = np.asarray(distances, dtype=np.float64)
    k = T.shape[1]
    if k < 2:
        raise ValueError(f"MLE needs at least 2 neighbours per point, got {k}.")
    with np.errstate(divide="ignore"):
        inverse = np.log(T[:, -1:] / T).sum(axis=1) / (k - 1)  # 1 / m(x)
    mean = float(inverse.mean())
    if not mean > 0 or not np.isfinite(mean):
        raise ValueError(
            "MLE is undefined here: every point's k nearest neighbours are equidistant (or at distance 0); "
            "use more distinct points."
        )
    return 1.0 / mean


def mle(X: Any, n_neighbors: int = DEFAULT_N_NEIGHBORS, *, neighbours: CloudNeighbours | None = None) -> float:
    """MLE intrinsic dimension of a cloud (module docstring), on its distinct rows.

    Equals ``skdim.id.MLE().fit(X_distinct, n_neighbors=n_neighbors).dimension_`` (default 20) to
    rounding. ``neighbours``: the cloud's neighbours from the shared core, if already computed.
    """
    k = int(n_neighbors)
    if neighbours is None:
        neighbours = cloud_neighbours(X, k, "MLE")
    if neighbours.n_points < k + 1:
        raise ValueError(
            f"MLE with {k} neighbours needs at least {k + 1} distinct points, got {neighbours.n_points}."
        )
    return mle_from_distances(neighbours.distances(k))


def _compute(X: Any, neighbours: CloudNeighbours | None = None) -> float:
    return mle(X, neighbours=neighbours)


ESTIMATOR = Estimator(
    name="mle",
    label="MLE ID",
    family="intrinsic_dimension",
    compute=_compute,
    n_neighbors=DEFAULT_N_NEIGHBORS,
    scale_free=True,
    reference=(
        "skdim.id.MLE().fit(X).dimension_ on the distinct rows: n_neighbors=20, comb='mle' (1 / mean of "
        "1 / pointwise estimate, MacKay & Ghahramani 2005), unbiased=False (k - 1), dnoise=None, sigma=0 "
        "(Levina & Bickel 2004)"
    ),
    digits=2,
)
