"""Percentile bootstrap of a statistic of one point cloud (rows resampled)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mteb_redundancy.estimators._arrays import as_float_matrix
from mteb_redundancy.estimators.isoscore import isoscore
from mteb_redundancy.estimators.twonn import twonn

# --------------------------------------------------------------------------------------------
# Bootstrap and other estimators
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BootstrapCI:
    """Percentile bootstrap interval from :func:`bootstrap_ci`.

    Attributes
    ----------
    estimate : float
        The statistic on the full data.
    low, high : float
        The alpha / 2 and 1 - alpha / 2 quantiles of the replicates.
    alpha : float
    n_boot : int
    replicates : ndarray of shape (n_boot,)
    """

    estimate: float
    low: float
    high: float
    alpha: float
    n_boot: int
    replicates: np.ndarray = field(repr=False, compare=False)


def _as_statistic(estimator: Any) -> Callable[[np.ndarray], float]:
    if isinstance(estimator, str):
        key = estimator.lower()
        if key == "twonn":
            return lambda A: twonn(A).dimension
        if key == "isoscore":
            return isoscore
        raise ValueError(
            f"Unknown statistic {estimator!r}; use 'twonn', 'isoscore', a function X -> float, or "
            "an estimator with fit(X) and dimension_."
        )
    if hasattr(estimator, "fit"):
        def fitted(A: np.ndarray) -> float:
            return float(estimator.fit(A).dimension_)

        return fitted
    if callable(estimator):
        def called(A: np.ndarray) -> float:
            value = estimator(A)
            return float(getattr(value, "dimension", value))

        return called
    raise ValueError(
        f"estimator must be 'twonn', 'isoscore', a callable X -> float or an object with fit(X) "
        f"and dimension_, got {type(estimator).__name__}."
    )


def bootstrap_ci(
    estimator: Any,
    X: Any,
    n_boot: int = 200,
    seed: int = 0,
    alpha: float = 0.05,
    *,
    replace: bool = True,
    sample_size: int | None = None,
) -> BootstrapCI:
    """Percentile bootstrap confidence interval of a statistic of a point cloud.

    Parameters
    ----------
    estimator : str, callable or estimator
        ``"twonn"``, ``"isoscore"``, a function ``X -> float`` (or returning an object with a
        ``dimension`` attribute, like :func:`twonn`), or an object with ``fit(X)`` setting
        ``dimension_`` (``TwoNN()``, scikit-dimension estimators).
    X : array-like of shape (n_points, n_dims)
    n_boot : int, default 200
        Resamples.
    seed : int, default 0
    alpha : float, default 0.05
        The interval covers 1 - alpha.
    replace : bool, default True
        Resample rows with replacement (the classic bootstrap). Note that TwoNN drops the
        repeated rows this creates, so each replicate has only about 63% distinct points, and
        TwoNN depends on the number of points; for TwoNN prefer ``replace=False`` with a
        ``sample_size`` (subsampling), and compare only intervals of the same size.
    sample_size : int, optional
        Rows per resample (default: all rows with replacement, half of them without).

    Returns
    -------
    BootstrapCI
    """
    arr = as_float_matrix(X, purpose="the bootstrap")
    statistic = _as_statistic(estimator)
    n_boot = int(n_boot)
    if n_boot < 2:
        raise ValueError(f"n_boot must be at least 2, got {n_boot}.")
    if not 0.0 < float(alpha) < 1.0:
        raise ValueError(f"alpha must be strictly between 0 and 1, got {alpha!r}.")
    m = arr.shape[0]
    if sample_size is None:
        sample_size = m if replace else max(1, m // 2)
    sample_size = int(sample_size)
    if sample_size < 1 or (not replace and sample_size > m):
        raise ValueError(
            f"sample_size must be between 1 and {m} (the number of rows) without replacement, "
            f"got {sample_size}."
        )
    rng = np.random.default_rng(seed)
    estimate = statistic(arr)
    replicates = np.empty(n_boot)
    for b in range(n_boot):
        rows = rng.choice(m, size=sample_size, replace=replace)
        replicates[b] = statistic(arr[rows])
    low, high = np.quantile(replicates, [alpha / 2, 1 - alpha / 2])
    return BootstrapCI(
        estimate=float(estimate),
        low=float(low),
        high=float(high),
        alpha=float(alpha),
        n_boot=n_boot,
        replicates=replicates,
    )



