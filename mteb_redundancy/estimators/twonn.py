"""TwoNN intrinsic dimension (Facco et al. 2017), exactly as scikit-dimension computes it.

Pure numpy: importing this module imports neither MTEB, torch nor scikit-learn; scikit-dimension is
imported lazily, and only by :func:`intrinsic_dimension` for methods other than ``"twonn"``.
Points are rows: ``X`` has shape ``(n_points, n_dims)``.

:func:`twonn` / :class:`TwoNN` compute the estimate as ``skdim.id.TwoNN().fit(X).dimension_`` does
(same ratios, discard rule, empirical CDF, least squares through the origin), with exact nearest
neighbours found by tiled matrix products and a partial top-k selection instead of a full sort.
Duplicate rows are dropped first (one copy kept) and counted.
"""

from __future__ import annotations

import difflib
import inspect
import warnings
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from mteb_redundancy.estimators._arrays import _check_discard_fraction, as_float_matrix
from mteb_redundancy.estimators.neighbours import (
    CloudNeighbours,
    NeighbourLists,
    _check_precision,
    cloud_neighbours,
    deduplicate_rows,
    distinct_groups,
    measure_distances,
    rounding_bound,
)
from mteb_redundancy.estimators.registry import Estimator

__all__ = [
    "ESTIMATOR", "DegenerateFitError", "twonn_estimator", "TwoNNResult", "TwoNN", "twonn", "twonn_fit", "two_nearest_distances",
    "approximate_two_nearest", "approximation_error", "deduplicate_rows", "intrinsic_dimension",
]

DEFAULT_DISCARD_FRACTION = 0.1

_SKDIM_FALLBACK_NAMES = (
    "CorrInt", "DANCo", "ESS", "FisherS", "GRIDE", "KNN", "MADA", "MLE", "MOM", "MiND_ML", "PH",
    "TLE", "TwoNN", "lPCA",
)



def _two_nearest_exact(X: np.ndarray, block_size: int | None = None, precision: str = "float64"):
    """r1, r2 of every row among all rows (duplicates included: their r1 is 0), from the core."""
    nearest = NeighbourLists(X, 2, precision=precision, block_size=block_size, distinct=False).nearest(2)
    return nearest.distances[:, 0].copy(), nearest.distances[:, 1].copy()


def two_nearest_distances(
    X: Any, *, block_size: int | None = None, precision: str = "float64"
) -> tuple[np.ndarray, np.ndarray]:
    """Euclidean distances of every point to its nearest and second-nearest other point.

    Exact: candidates are found with tiled matrix products and their distances re-measured
    directly from the vectors. Duplicate rows are not removed here (their ``r1`` is 0).

    Memory beyond the float64 input: one padded copy of the centred points in the screening dtype
    (``n_points x (n_dims + 2)``), one right-hand block (``block_size x (n_dims + 2)``), one
    ``block_size x block_size`` tile and ``n_points x 4`` candidates; the products cover each
    unordered pair once (upper-triangle tiles), ``n_points**2 * (n_dims + 2)`` multiply-adds.

    Parameters
    ----------
    X : array-like of shape (n_points, n_dims)
        At least 3 points.
    block_size : int, optional
        Rows per tile of the distance matrix (default 2048, i.e. 32 MiB float64 tiles).
    precision : {"float64", "float32"}, default "float64"
        Dtype of the screening products. ``"float32"`` is about twice as fast on the products
        and still exact: each point's neighbours are certified against a rigorous rounding
        bound, and uncertified points are redone in float64.

    Returns
    -------
    r1, r2 : ndarray of shape (n_points,)
        Distance to the nearest and to the second-nearest other point.
    """
    precision = _check_precision(precision)
    arr = as_float_matrix(X, purpose="nearest-neighbour distances")
    if arr.shape[0] < 3:
        raise ValueError(
            f"Two nearest neighbours need at least 3 points, got {arr.shape[0]}."
        )
    return _two_nearest_exact(arr, block_size, precision)


# --------------------------------------------------------------------------------------------
# Approximate two nearest neighbours (millions of points), with the error measured on a sample
# --------------------------------------------------------------------------------------------

_NEIGHBOURS = ("exact", "approximate")
DEFAULT_ERROR_SAMPLE = 1000


def _check_neighbours(neighbours: Any) -> str:
    if neighbours not in _NEIGHBOURS:
        raise ValueError(
            f"neighbours must be 'exact' or 'approximate' (an HNSW graph of faiss, its error "
            f"measured on a sample), got {neighbours!r}."
        )
    return neighbours


def _faiss():
    try:
        import faiss
    except ImportError as error:
        raise ImportError(
            "neighbours='approximate' uses faiss (HNSW graphs); install it with "
            f"`pip install \"mteb-redundancy[ann]\"` (or `pip install faiss-cpu`) ({error})."
        ) from None
    return faiss


def approximate_two_nearest(
    X: Any, *, hnsw_m: int = 32, ef_construction: int = 80, ef_search: int = 64
) -> tuple[np.ndarray, np.ndarray]:
    """r1, r2 from an approximate nearest-neighbour graph (HNSW, Malkov & Yashunin 2018, in faiss).

    The graph only proposes the neighbours: their distances are then measured exactly in float64
    from the vectors, so every r1, r2 returned is a true distance to another point and at least the
    exact one (an approximate search can miss the nearest, never find a closer point). Duplicate
    rows are not removed here. Memory: the float32 copy of X plus the graph (about 2 * hnsw_m
    links per point).
    """
    faiss = _faiss()
    arr = as_float_matrix(X, purpose="approximate nearest-neighbour distances")
    m, n = arr.shape
    if m < 3:
        raise ValueError(f"Two nearest neighbours need at least 3 points, got {m}.")
    index = faiss.IndexHNSWFlat(n, int(hnsw_m))
    index.hnsw.efConstruction = int(ef_construction)
    index.hnsw.efSearch = max(int(ef_search), 4)
    mean = arr.mean(axis=0)
    step = max(1, (1 << 24) // max(n, 1))
    for start in range(0, m, step):
        index.add(np.ascontiguousarray(arr[start : start + step] - mean, dtype=np.float32))
    k = 4  # the point itself (normally first), two neighbours and one spare
    candidates = np.empty((m, k), dtype=np.int64)
    for start in range(0, m, step):
        query = np.ascontiguousarray(arr[start : start + step] - mean, dtype=np.float32)
        candidates[start : start + step] = index.search(query, k)[1]
    del index
    rows = np.arange(m)
    cand = np.where(candidates < 0, rows[:, None], candidates)  # -1: fewer results than asked
    dist = np.sort(measure_distances(arr, rows, cand), axis=1)  # self and padding measured as inf
    return dist[:, 0].copy(), dist[:, 1].copy()


def _exact_rows(X: np.ndarray, rows: np.ndarray, r2_upper: np.ndarray) -> np.ndarray:
    """Exact r1, r2 of ``rows`` given an upper bound on each one's r2, in column blocks of X (no
    copy of X): every point whose float64 screened squared distance is within the bound plus the
    rounding bound is measured exactly from the vectors."""
    m, n = X.shape
    mean = X[rows].mean(axis=0)
    S = X[rows] - mean
    s_sq = np.einsum("ij,ij->i", S, S)
    limit = r2_upper**2 * (1 + 1e-9)
    best = np.full((rows.size, 3), np.inf)  # the three smallest exact distances (self is one)
    step = max(1, min(m, (1 << 22) // max(rows.size, 1)))
    for start in range(0, m, step):
        B = X[start : start + step] - mean
        b_sq = np.einsum("ij,ij->i", B, B)
        D = S @ B.T
        D *= -2.0
        D += s_sq[:, None]
        D += b_sq[None, :]
        slack = rounding_bound(2.0**-53, n, np.sqrt(np.concatenate([s_sq, b_sq])))[: rows.size]
        pr, pc = np.nonzero(D <= (limit + slack)[:, None])
        del D
        if pr.size == 0:
            continue
        diff = X[pc + start] - X[rows[pr]]
        d = np.sqrt(np.einsum("ij,ij->i", diff, diff))
        d[pc + start == rows[pr]] = np.inf
        for r, value in zip(pr, d):
            row = best[r]
            if value < row[2]:
                row[2] = value
                row.sort()
    return best[:, :2]


def approximation_error(
    X: np.ndarray, r1: np.ndarray, r2: np.ndarray, *, sample: int = DEFAULT_ERROR_SAMPLE, seed: int = 0
) -> dict[str, Any]:
    """Compare approximate r1, r2 with the exact ones on a random sample of the points.

    The exact r1, r2 of ``sample`` points are found against all points (float64 products, then
    measured from the vectors), ``sample x n_points`` distances in blocks. Returns the sample size,
    the fraction of sampled points whose r1 and r2 are both exact, and the mean and largest relative
    error of r1, r2 and of the ratio mu = r2 / r1 that TwoNN fits.
    """
    arr = as_float_matrix(X, purpose="approximation error")
    m, n = arr.shape
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(m, size=min(int(sample), m), replace=False))
    # The approximate r2 is a true distance to another point, so an upper bound on the exact r2.
    exact = _exact_rows(arr, rows, np.asarray(r2, dtype=np.float64)[rows])
    approx = np.stack([np.asarray(r1, dtype=np.float64)[rows], np.asarray(r2, dtype=np.float64)[rows]], axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.abs(approx - exact) / exact
        mu_exact, mu_approx = exact[:, 1] / exact[:, 0], approx[:, 1] / approx[:, 0]
        rel_mu = np.abs(mu_approx - mu_exact) / mu_exact
    exact_rows = np.all(approx == exact, axis=1)
    return {
        "sample": int(rows.size),
        "fraction_exact": float(exact_rows.mean()),
        "r1_relative_error_mean": float(np.nanmean(rel[:, 0])),
        "r1_relative_error_max": float(np.nanmax(rel[:, 0])),
        "r2_relative_error_mean": float(np.nanmean(rel[:, 1])),
        "r2_relative_error_max": float(np.nanmax(rel[:, 1])),
        "mu_relative_error_mean": float(np.nanmean(rel_mu)),
        "mu_relative_error_max": float(np.nanmax(rel_mu)),
    }


# --------------------------------------------------------------------------------------------
# TwoNN
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TwoNNResult:
    """Outcome of :func:`twonn`.

    Attributes
    ----------
    dimension : float
        The TwoNN intrinsic dimension (slope of the fit through the origin).
    n_points : int
        Distinct points the estimate used (after dropping duplicate rows).
    n_duplicates_dropped : int
        Rows dropped because they repeated an earlier row exactly.
    discard_fraction : float
        Fraction of the largest ratios mu = r2 / r1 left out of the fit.
    n_fit : int
        Ratios in the fit, ``int(n_points * (1 - discard_fraction))``.
    neighbours : str
        ``"exact"``, or ``"approximate"`` (HNSW candidates, distances measured exactly).
    approximation : dict or None
        For ``neighbours="approximate"``: the error of r1, r2 and mu against the exact neighbours
        on a random sample of points (:func:`approximation_error`); None for exact neighbours.
    """

    dimension: float
    n_points: int
    n_duplicates_dropped: int
    discard_fraction: float
    n_fit: int
    neighbours: str = "exact"
    approximation: dict | None = None

    def __float__(self) -> float:
        return float(self.dimension)


class DegenerateFitError(ValueError):
    """The TwoNN slope is undefined for these distances (too few ratios kept, or every kept ratio 1)."""


def twonn_fit(r1: np.ndarray, r2: np.ndarray, discard_fraction: float = DEFAULT_DISCARD_FRACTION) -> tuple[float, int, int]:
    """The one TwoNN fit (scikit-dimension's ``TwoNN._twonn``, method='linear'), given r1 and r2.

    mu = r2 / r1; sort; keep the smallest ``int(N * (1 - discard_fraction))``; F_i = i / N; the slope
    through the origin of y = -log(1 - F) on x = log(mu). Returns ``(dimension, N, n_fit)``.

    A degenerate fit raises :class:`DegenerateFitError` (a ValueError) saying why: fewer than 2 ratios
    kept, or every kept ratio equal to 1 (a regular grid), where the slope is undefined. Callers
    decide what a failure means: :func:`twonn` lets it raise; the split-half intervals record that
    half as a failed split (``BootstrapResult.n_failed``) and leave the split out.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        mu = np.asarray(r2, dtype=np.float64) / np.asarray(r1, dtype=np.float64)
    finite = np.isfinite(mu)
    if not finite.all():  # only reachable through underflow of a tiny r1
        warnings.warn(
            f"Dropping {int(np.sum(~finite))} points with zero distance to their nearest neighbour.",
            RuntimeWarning,
            stacklevel=2,
        )
        mu = mu[finite]
    N = len(mu)
    n_keep = int(N * (1 - discard_fraction))
    if n_keep < 2:
        raise DegenerateFitError(
            f"TwoNN keeps int(N * (1 - discard_fraction)) = {n_keep} ratios of N = {N} points; "
            "it needs at least 2. Use more distinct points or a smaller discard_fraction."
        )
    mu = np.sort(mu)[:n_keep]
    F = np.arange(1, 1 + n_keep) / N  # N counts all points, not only the kept ones
    x = np.log(mu)
    y = -np.log(1 - F)
    sxx = float(np.dot(x, x))
    if sxx == 0.0:
        raise DegenerateFitError(
            "Every kept point has its two nearest neighbours at exactly the same distance "
            "(mu = 1, e.g. a regular grid); the TwoNN slope is undefined."
        )
    return float(np.dot(x, y)) / sxx, N, n_keep


def _distinct_rows(arr: np.ndarray) -> tuple[np.ndarray, int]:
    """The distinct rows (first copies kept), at least 3 of them (a duplicate has r1 = 0), and the
    number of rows dropped."""
    n_input = arr.shape[0]
    reps, _ = distinct_groups(arr)
    n_distinct = int(reps.size)
    if n_distinct < n_input:
        arr = arr[reps]
    if n_distinct < 3:
        raise ValueError(
            f"TwoNN needs at least 3 distinct points, got {n_distinct} distinct point(s) among "
            f"{n_input} row(s) ({n_input - n_distinct} exact duplicate(s) dropped). Embed more "
            "(distinct) texts."
        )
    return arr, n_input - n_distinct


def _two_nearest(arr: np.ndarray, neighbours: str, block_size: int | None, precision: str, error_sample: int):
    """r1 and r2 of every row, and (approximate neighbours only) their measured error."""
    if neighbours == "approximate":
        r1, r2 = approximate_two_nearest(arr)
        return r1, r2, approximation_error(arr, r1, r2, sample=error_sample)
    r1, r2 = _two_nearest_exact(arr, block_size, precision)
    return r1, r2, None


def twonn(
    X: Any,
    discard_fraction: float = DEFAULT_DISCARD_FRACTION,
    *,
    block_size: int | None = None,
    precision: str = "float32",
    neighbours: str = "exact",
    error_sample: int = DEFAULT_ERROR_SAMPLE,
) -> TwoNNResult:
    """TwoNN intrinsic dimension (Facco et al. 2017), as scikit-dimension computes it.

    1. Exact duplicate rows are dropped (the first copy kept): a duplicate has r1 = 0 and an
       infinite ratio. The number dropped is reported.
    2. For each point, r1 and r2 are the Euclidean distances to its nearest and second-nearest
       other point, and mu = r2 / r1.
    3. The ratios are sorted and the smallest ``k = int(N * (1 - discard_fraction))`` kept.
    4. F_i = i / N for i = 1..k, N counting all points.
    5. The dimension is the least-squares slope through the origin of y = -log(1 - F_i) on
       x = log(mu_i): ``sum(x * y) / sum(x * x)``.

    On an input without duplicates this equals ``skdim.id.TwoNN(discard_fraction).fit(X)
    .dimension_`` to rounding (about 1e-12 relative). TwoNN underestimates high intrinsic
    dimensions (about 24.5 for a true 30 at 10,000 points); the value is reported as computed.

    Parameters
    ----------
    X : array-like of shape (n_points, n_dims)
        Points as rows; float32 input is accepted, all arithmetic is float64.
    discard_fraction : float, default 0.1
        Fraction of the largest ratios left out of the fit, strictly between 0 and 1.
    block_size : int, optional
        Rows per tile of the distance matrix (default 2048: 32 MiB tiles). Only memory and
        speed depend on it, not the result.
    precision : {"float32", "float64"}, default "float32"
        Dtype of the matrix products that screen for neighbour candidates. Both give the exact
        nearest neighbours (distances are re-measured in float64 from the vectors); "float32"
        certifies each point's neighbours with a rigorous rounding-error bound and redoes the
        uncertified ones in float64, and is faster on wide embeddings (float64 is used anyway
        when squared norms would overflow float32).
    neighbours : {"exact", "approximate"}, default "exact"
        ``"approximate"`` takes each point's neighbour candidates from an HNSW graph (faiss, the
        ``[ann]`` extra) for millions of points, measures their distances exactly, and reports in
        ``approximation`` the error against exact neighbours on ``error_sample`` random points.
    error_sample : int, default 1000
        Points whose exact neighbours are computed to measure the approximate mode's error.

    Returns
    -------
    TwoNNResult
        ``dimension``, ``n_points`` (distinct points), ``n_duplicates_dropped``,
        ``discard_fraction`` and ``n_fit``.

    Raises
    ------
    ValueError
        If ``X`` is not a 2-D numeric matrix, has NaN or infinite entries, or has fewer than
        3 distinct points, or if ``discard_fraction`` is not in (0, 1).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((2000, 5)) @ rng.standard_normal((5, 100))
    >>> round(twonn(X).dimension)
    5
    """
    fraction = _check_discard_fraction(discard_fraction)
    precision = _check_precision(precision)
    arr, n_dropped = _distinct_rows(as_float_matrix(X, purpose="TwoNN"))
    r1, r2, approximation = _two_nearest(arr, _check_neighbours(neighbours), block_size, precision, error_sample)
    dimension, _, n_fit = twonn_fit(r1, r2, fraction)
    return TwoNNResult(
        dimension=dimension,
        n_points=arr.shape[0],
        n_duplicates_dropped=n_dropped,
        discard_fraction=fraction,
        n_fit=n_fit,
        neighbours=neighbours,
        approximation=approximation,
    )


class TwoNN:
    """scikit-learn style TwoNN estimator built on :func:`twonn`.

    Parameters
    ----------
    discard_fraction : float, default 0.1
        Fraction of the largest ratios mu = r2 / r1 left out of the fit.
    block_size : int, optional
        Rows per tile of the distance matrix (memory / speed only).
    precision : {"float32", "float64"}, default "float32"
        Dtype of the screening products (see :func:`twonn`); the result is the same.
    neighbours : {"exact", "approximate"}, default "exact"
        Exact neighbours, or HNSW candidates with the error reported (see :func:`twonn`).

    Attributes
    ----------
    dimension_ : float
        Estimated intrinsic dimension.
    n_points_ : int
        Distinct points used.
    n_duplicates_dropped_ : int
        Exact duplicate rows dropped before the estimate.
    n_features_in_ : int
        Number of columns of the fitted ``X``.
    result_ : TwoNNResult
        The full result.

    Examples
    --------
    >>> X = np.random.default_rng(0).standard_normal((500, 3))
    >>> TwoNN().fit(X).dimension_ > 2
    True
    """

    def __init__(
        self,
        discard_fraction: float = DEFAULT_DISCARD_FRACTION,
        block_size: int | None = None,
        precision: str = "float32",
        neighbours: str = "exact",
    ):
        self.discard_fraction = discard_fraction
        self.block_size = block_size
        self.precision = precision
        self.neighbours = neighbours

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Constructor parameters, as scikit-learn's ``clone`` expects."""
        return {
            "discard_fraction": self.discard_fraction,
            "block_size": self.block_size,
            "precision": self.precision,
            "neighbours": self.neighbours,
        }

    def set_params(self, **params: Any) -> "TwoNN":
        """Set constructor parameters; unknown names raise a ValueError."""
        for name, value in params.items():
            if name not in self.get_params():
                raise ValueError(
                    f"Unknown parameter {name!r} for TwoNN; valid ones: {sorted(self.get_params())}."
                )
            setattr(self, name, value)
        return self

    def fit(self, X: Any, y: Any = None) -> "TwoNN":
        """Estimate the intrinsic dimension of ``X`` (points as rows); ``y`` is ignored."""
        result = twonn(
            X, self.discard_fraction, block_size=self.block_size, precision=self.precision,
            neighbours=self.neighbours,
        )
        self.result_ = result
        self.dimension_ = result.dimension
        self.n_points_ = result.n_points
        self.n_duplicates_dropped_ = result.n_duplicates_dropped
        self.n_features_in_ = int(np.shape(X)[1])
        return self

    def __repr__(self) -> str:
        return f"TwoNN(discard_fraction={self.discard_fraction!r})"



def _computed_with(discard_fraction: float):
    """``compute(X, neighbours=None)``: TwoNN of a cloud's distinct rows from the shared neighbour core."""

    def compute(X: Any, neighbours: CloudNeighbours | None = None) -> float:
        if neighbours is None:
            neighbours = cloud_neighbours(X, 2, "TwoNN")
        d = neighbours.distances(2)
        return twonn_fit(d[:, 0], d[:, 1], discard_fraction)[0]

    return compute


ESTIMATOR = Estimator(
    name="twonn",
    label="TwoNN ID",
    family="intrinsic_dimension",
    compute=_computed_with(DEFAULT_DISCARD_FRACTION),
    n_neighbors=2,
    scale_free=True,
    reference="skdim.id.TwoNN(discard_fraction=0.1).fit(X).dimension_ on the distinct rows (Facco et al. 2017)",
    digits=2,
)


def twonn_estimator(discard_fraction: float = DEFAULT_DISCARD_FRACTION) -> Estimator:
    """The TwoNN estimator with another discard fraction (the registered one uses 0.1)."""
    fraction = _check_discard_fraction(discard_fraction)
    if fraction == DEFAULT_DISCARD_FRACTION:
        return ESTIMATOR
    return replace(ESTIMATOR, compute=_computed_with(fraction), reference=f"skdim.id.TwoNN(discard_fraction={fraction}).fit(X).dimension_ on the distinct rows")


# --------------------------------------------------------------------------------------------
# Other scikit-dimension estimators by name
# --------------------------------------------------------------------------------------------


def _skdim_estimators() -> dict[str, type]:
    try:
        import skdim.id as skdim_id
    except ImportError as error:
        raise ImportError(
            "Intrinsic-dimension methods other than 'twonn' come from scikit-dimension; install "
            f"it with `pip install scikit-dimension` ({error})."
        ) from None
    return {
        name: obj
        for name, obj in vars(skdim_id).items()
        if inspect.isclass(obj) and hasattr(obj, "fit") and not name.startswith("_")
    }


def intrinsic_dimension(
    X: Any,
    method: str = "twonn",
    *,
    drop_duplicates: bool = True,
    **kwargs: Any,
) -> float:
    """Intrinsic dimension of a point cloud by a named method.

    Parameters
    ----------
    X : array-like of shape (n_points, n_dims)
    method : str, default "twonn"
        ``"twonn"`` uses :func:`twonn` (this module). Any other name is a scikit-dimension
        estimator class of ``skdim.id``, matched case-insensitively (``"lPCA"``, ``"MLE"``,
        ``"DANCo"``, ``"ESS"``, ``"MADA"``, ...; ``"skdim.TwoNN"`` forces scikit-dimension's).
        scikit-dimension is imported only here.
    drop_duplicates : bool, default True
        Drop exact duplicate rows before a scikit-dimension estimator (twonn always does).
    **kwargs
        Passed to :func:`twonn` or to the estimator's constructor.

    Returns
    -------
    float
        The estimator's ``dimension_``.

    Raises
    ------
    ValueError
        For an unknown method (the message suggests close names) or bad input.
    """
    if not isinstance(method, str):
        raise ValueError(f"method must be a string, got {method!r}.")
    name = method.strip()
    if name.lower() == "twonn":
        return twonn(X, **kwargs).dimension
    if name.lower().startswith("skdim."):
        name = name[len("skdim.") :]
    try:
        available = _skdim_estimators()
    except ImportError:
        available = None
    names = sorted(available) if available is not None else list(_SKDIM_FALLBACK_NAMES)
    by_lower = {n.lower(): n for n in names}
    if name.lower() not in by_lower:
        close = difflib.get_close_matches(name.lower(), list(by_lower) + ["twonn"], n=3, cutoff=0.4)
        suggestion = (
            " Did you mean " + " or ".join(repr(by_lower.get(c, c)) for c in close) + "?"
            if close
            else ""
        )
        raise ValueError(
            f"Unknown intrinsic-dimension method {method!r}.{suggestion} Available: 'twonn' "
            f"(built in) and the scikit-dimension estimators {', '.join(names)}."
        )
    if available is None:
        _skdim_estimators()  # raises the ImportError with its install hint
    arr = as_float_matrix(X, purpose=f"intrinsic dimension ({by_lower[name.lower()]})")
    if drop_duplicates:
        arr = arr[distinct_groups(arr)[0]]
    estimator = available[by_lower[name.lower()]](**kwargs)
    return float(estimator.fit(arr).dimension_)
