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
from dataclasses import dataclass
from typing import Any

import numpy as np

from mteb_redundancy.estimators._arrays import _check_discard_fraction, as_float_matrix

__all__ = [
    "TwoNNResult", "TwoNN", "twonn", "two_nearest_distances", "approximate_two_nearest",
    "approximation_error", "deduplicate_rows", "intrinsic_dimension",
]

DEFAULT_DISCARD_FRACTION = 0.1

# Nearest-neighbour search: the distance matrix is computed in square tiles of at most
# _MAX_TILE x _MAX_TILE float64 (32 MiB); with the gathers of the selection step, the working
# memory beyond the input stays well under 256 MiB whatever the number of points.
_MAX_TILE = 2048
# Columns (rows) of a tile are split into interleaved groups of _GROUP; the group minima locate
# the few groups that can hold a point's nearest neighbours without sorting the tile.
_GROUP = 16
# Candidates kept per point and re-measured exactly; 2 are needed, the rest are a margin against
# rounding in the ||x||^2 + ||y||^2 - 2 x.y formula (near-duplicate clusters).
_N_CANDIDATES = 4
# Squared norm given to padding rows so that they are never anyone's neighbour (finite, so that
# the matrix product never forms inf - inf or 0 * inf).
_FAR = 1e300
_FAR32 = 1e30
# Budget for the exact re-measurement of candidate distances, in float64 elements per chunk.
_RECHECK_ELEMENTS = 1 << 22

_SKDIM_FALLBACK_NAMES = (
    "CorrInt", "DANCo", "ESS", "FisherS", "GRIDE", "KNN", "MADA", "MLE", "MOM", "MiND_ML", "PH",
    "TLE", "TwoNN", "lPCA",
)



# --------------------------------------------------------------------------------------------
# Duplicates
# --------------------------------------------------------------------------------------------

_MIX = np.uint64(0xBF58476D1CE4E5B9)


def _row_hashes(X: np.ndarray) -> np.ndarray:
    """A 64-bit hash per row, equal for equal rows (0.0 and -0.0 count as equal).

    Integer arithmetic modulo 2**64 is exact and associative, so equal rows get equal hashes
    whatever the summation order; a per-entry mix avoids structured collisions (sign flips).
    """
    m, n = X.shape
    rng = np.random.default_rng(0x5EED)
    weights = rng.integers(0, 2**63, size=n, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    hashes = np.empty(m, dtype=np.uint64)
    step = max(1, (1 << 18) // max(n, 1))
    s29, s31 = np.uint64(29), np.uint64(31)
    for start in range(0, m, step):
        u = (X[start : start + step] + 0.0).view(np.uint64)  # + 0.0 turns -0.0 into 0.0
        u ^= u >> s31
        u *= _MIX
        u ^= u >> s29
        u *= weights
        hashes[start : start + step] = u.sum(axis=1, dtype=np.uint64)
    return hashes


def _unique_row_mask(X: np.ndarray) -> np.ndarray:
    """Boolean mask keeping the first occurrence of every distinct row of a float64 matrix."""
    m = X.shape[0]
    keep = np.ones(m, dtype=bool)
    if m < 2:
        return keep
    hashes = _row_hashes(X)
    _, inverse, counts = np.unique(hashes, return_inverse=True, return_counts=True)
    suspects = np.flatnonzero(counts[inverse.ravel()] > 1)  # rows sharing a hash with another
    if suspects.size == 0:
        return keep
    # Exact check among the suspects only (equal rows always share a hash).
    rows = np.ascontiguousarray(X[suspects] + 0.0)
    as_bytes = rows.view(np.dtype((np.void, rows.dtype.itemsize * rows.shape[1]))).ravel()
    _, first = np.unique(as_bytes, return_index=True)  # stable: index of the first occurrence
    keep[suspects] = False
    keep[suspects[first]] = True
    return keep


def deduplicate_rows(X: Any) -> tuple[np.ndarray, np.ndarray]:
    """Drop repeated rows, keeping the first occurrence of each, in the original order.

    Parameters
    ----------
    X : array-like of shape (n_points, n_dims)
        Numeric matrix. ``0.0`` and ``-0.0`` are treated as equal.

    Returns
    -------
    X_unique : ndarray of shape (n_unique, n_dims), float64
        The distinct rows, in order of first appearance.
    kept : ndarray of shape (n_unique,), int
        Indices into ``X`` of the rows kept; ``n_points - len(kept)`` rows were dropped.

    Raises
    ------
    ValueError
        If ``X`` is not a 2-D numeric matrix of finite values.
    """
    arr = as_float_matrix(X, purpose="deduplication")
    keep = _unique_row_mask(arr)
    kept = np.flatnonzero(keep)
    return (arr if kept.size == arr.shape[0] else arr[kept]), kept


# --------------------------------------------------------------------------------------------
# Exact two nearest neighbours
# --------------------------------------------------------------------------------------------


def _merge_candidates(values, indices, new_values, new_indices, k):
    """Keep, per row, the k smallest of the current and the new candidates."""
    values = np.concatenate([values, new_values], axis=1)
    indices = np.concatenate([indices, new_indices], axis=1)
    pick = np.argpartition(values, k - 1, axis=1)[:, :k]
    return np.take_along_axis(values, pick, axis=1), np.take_along_axis(indices, pick, axis=1)


def _row_candidates(D: np.ndarray, k: int):
    """Per row of the tile ``D`` (T x T, T a multiple of _GROUP): the k smallest values and columns.

    Columns are split into the interleaved groups {g, g + G, g + 2G, ...} (G = T / _GROUP); the k
    smallest entries of a row lie in the k groups with the smallest minima, so only those
    k * _GROUP entries are partitioned.
    """
    T, width = D.shape
    n_groups = width // _GROUP
    group_min = D.reshape(T, _GROUP, n_groups).min(axis=1)  # (T, G)
    kg = min(k, n_groups)
    if n_groups > kg:
        groups = np.argpartition(group_min, kg - 1, axis=1)[:, :kg]
    else:
        groups = np.broadcast_to(np.arange(n_groups), (T, n_groups))
    cols = (groups[:, :, None] + n_groups * np.arange(_GROUP)[None, None, :]).reshape(T, -1)
    vals = np.take_along_axis(D, cols, axis=1)
    pick = np.argpartition(vals, k - 1, axis=1)[:, :k]
    return np.take_along_axis(vals, pick, axis=1), np.take_along_axis(cols, pick, axis=1)


def _column_candidates(D: np.ndarray, k: int):
    """Per column of ``D``: the k smallest values and their rows (as ``_row_candidates`` on D.T)."""
    height, T = D.shape
    n_groups = height // _GROUP
    group_min = D.reshape(_GROUP, n_groups, T).min(axis=0)  # (G, T)
    kg = min(k, n_groups)
    if n_groups > kg:
        groups = np.argpartition(group_min, kg - 1, axis=0)[:kg]
    else:
        groups = np.broadcast_to(np.arange(n_groups)[:, None], (n_groups, T))
    rows = (groups[:, None, :] + n_groups * np.arange(_GROUP)[None, :, None]).reshape(-1, T)
    vals = np.take_along_axis(D, rows, axis=0)
    pick = np.argpartition(vals, k - 1, axis=0)[:k]
    return (
        np.take_along_axis(vals, pick, axis=0).T,
        np.take_along_axis(rows, pick, axis=0).T,
    )


def _tile_rows(m: int, block_size: int | None) -> tuple[int, int]:
    """Number of row blocks and rows per square tile (a multiple of _GROUP) for m points."""
    tile = _MAX_TILE if block_size is None else int(block_size)
    if tile < 1:
        raise ValueError(f"block_size must be a positive number of rows, got {block_size!r}.")
    tile = max(_GROUP, tile)
    n_blocks = -(-m // tile)
    rows_per_block = -(-m // n_blocks)
    return n_blocks, -(-rows_per_block // _GROUP) * _GROUP


def _nearest_candidates(X, mean, sq, k, block_size, dtype):
    """Each point's k nearest other points by |x|^2 + |y|^2 - 2 x.y: indices and values, (m, k).

    The upper triangle of the squared-distance matrix is computed in square tiles; each tile is
    one matrix product of the augmented matrices [x, |x|^2, 1] and [-2y, 1, |y|^2] of the centred
    coordinates (centring reduces cancellation). A tile (I, J), I < J, feeds the candidates of
    the rows in I and, through its columns, those of the rows in J; a diagonal tile only its rows.
    """
    m, n = X.shape
    n_blocks, T = _tile_rows(m, block_size)
    padded = n_blocks * T
    far = _FAR if dtype == np.float64 else _FAR32

    left = np.zeros((padded, n + 2), dtype=dtype)
    np.subtract(X, mean, out=left[:m, :n], casting="same_kind")
    left[:m, n] = sq
    left[m:, n] = far  # padding rows: never anyone's neighbour
    left[:, n + 1] = 1.0

    cand_val = np.full((padded, k), np.inf, dtype=dtype)
    cand_idx = np.zeros((padded, k), dtype=np.intp)
    right = np.empty((T, n + 2), dtype=dtype)
    D = np.empty((T, T), dtype=dtype)
    diag = np.arange(T)
    for jb in range(n_blocks):
        J = slice(jb * T, (jb + 1) * T)
        np.multiply(left[J, :n], -2.0, out=right[:, :n], casting="same_kind")
        right[:, n] = 1.0
        right[:, n + 1] = left[J, n]
        for ib in range(jb + 1):
            I = slice(ib * T, (ib + 1) * T)
            np.matmul(left[I], right.T, out=D)  # D[a, b] = |x_a - x_b|^2 up to rounding
            if ib == jb:
                D[diag, diag] = np.inf
            v, c = _row_candidates(D, k)
            cand_val[I], cand_idx[I] = _merge_candidates(
                cand_val[I], cand_idx[I], v, c + jb * T, k
            )
            if ib != jb:
                v, r = _column_candidates(D, k)
                cand_val[J], cand_idx[J] = _merge_candidates(
                    cand_val[J], cand_idx[J], v, r + ib * T, k
                )
    return cand_idx[:m], cand_val[:m].astype(np.float64)


def _measure(X, rows, cand):
    """Exact distances |X[rows] - X[cand]| (len(rows), c) from the vectors; invalid ones inf."""
    m, n = X.shape
    invalid = (cand >= m) | (cand == rows[:, None])  # padding / self, when m - 1 < k
    cand = np.where(invalid, 0, cand)
    dist = np.empty(cand.shape)
    step = max(1, _RECHECK_ELEMENTS // (cand.shape[1] * n))
    for start in range(0, rows.size, step):
        stop = min(rows.size, start + step)
        diff = X[cand[start:stop]] - X[rows[start:stop], None, :]
        dist[start:stop] = np.sqrt(np.einsum("ikj,ikj->ik", diff, diff))
    dist[invalid] = np.inf
    return dist


def _rounding_bound(unit_roundoff, n, norms):
    """Per row, a bound on |screened - true| squared distance to any other point.

    |fl(D_ab) - D_ab| <= c (|x_a| + |x_b|)^2 with c = gamma_N + 3u: gamma_N = N u / (1 - N u)
    bounds the rounding of the N = n + 2 summed products in any order (FMA or not), 3u the
    rounding of the inputs to the working precision; 1% slack on top.
    """
    N = n + 2
    gamma = N * unit_roundoff / (1 - N * unit_roundoff)
    return 1.01 * (gamma + 3 * unit_roundoff) * (norms + norms.max()) ** 2


def _resolve(X, rows, cand, screened, bound):
    """The two nearest of the candidates, measured exactly, and whether they are certain.

    Candidates are taken in screened order; the first two are measured, further ones only when
    their screened value minus the bound does not clear the second distance. Every point outside
    the candidates screened at least as high as the largest candidate, so its true squared
    distance is at least that minus the bound; a row is certified when this floor is not below
    the measured r2 squared (to a relative 1e-10, so exact ties certify in float64).
    """
    order = np.argsort(screened, axis=1)
    cand = np.take_along_axis(cand, order, axis=1)
    screened = np.take_along_axis(screened, order, axis=1)
    k = cand.shape[1]
    dist = np.sort(_measure(X, rows, cand[:, :2]), axis=1)
    if k > 2:
        more = np.flatnonzero(screened[:, 2] - bound <= dist[:, 1] ** 2 * (1 + 1e-9))
        if more.size:
            dist[more] = np.sort(_measure(X, rows[more], cand[more]), axis=1)[:, :2]
    certified = screened[:, -1] - bound >= dist[:, 1] ** 2 * (1 - 1e-10)
    return dist, certified


def _redo(X, mean, sq, rows, r2_upper, bound):
    """Exact r1, r2 of the given rows: every point whose float64 screened squared distance is
    within ``r2_upper**2 + bound`` (a superset of the two nearest) is measured exactly."""
    m, n = X.shape
    centred = X - mean
    out = np.empty((rows.size, 2))
    step = max(1, (_MAX_TILE * _MAX_TILE) // m)
    for start in range(0, rows.size, step):
        block = rows[start : start + step]
        D = centred[block] @ centred.T
        D *= -2.0
        D += sq[None, :]
        D += sq[block, None]
        D[np.arange(block.size), block] = np.inf
        limit = r2_upper[start : start + step] ** 2 * (1 + 1e-9) + bound[start : start + step]
        pr, pc = np.nonzero(D <= limit[:, None])
        del D
        d = np.empty(pr.size)
        chunk = max(1, _RECHECK_ELEMENTS // n)
        for a in range(0, pr.size, chunk):
            diff = X[pc[a : a + chunk]] - X[block[pr[a : a + chunk]]]
            d[a : a + chunk] = np.sqrt(np.einsum("ij,ij->i", diff, diff))
        order = np.lexsort((d, pr))
        pr, d = pr[order], d[order]
        first = np.searchsorted(pr, np.arange(block.size))  # each row has >= 2 pairs
        out[start : start + step, 0] = d[first]
        out[start : start + step, 1] = d[first + 1]
    return out


_PRECISIONS = ("float64", "float32")


def _check_precision(precision: Any) -> str:
    if precision not in _PRECISIONS:
        raise ValueError(
            f"precision must be 'float64' or 'float32' (the dtype of the screening products; "
            f"both give exact neighbours), got {precision!r}."
        )
    return precision


def _two_nearest_exact(X: np.ndarray, block_size: int | None = None, precision: str = "float64"):
    """r1, r2 for each row of a float64 matrix of distinct rows (at least 3 of them).

    Candidates come from the tiled products (float64, or float32 when asked); the distances of
    the candidates are then re-measured directly from the vectors, exact to rounding even for
    near-duplicates, where |x|^2 + |y|^2 - 2 x.y loses its digits. Each point's two neighbours
    are certified with a rigorous bound on the products' rounding error; points the bound cannot
    certify are redone in float64 against all points, measuring exactly every point that could
    be closer than the second neighbour found.
    """
    m, n = X.shape
    k = _N_CANDIDATES
    mean = X.mean(axis=0)
    centred_sq = np.empty(m)
    step = max(1, _RECHECK_ELEMENTS // n)
    for start in range(0, m, step):
        block = X[start : start + step] - mean
        centred_sq[start : start + step] = np.einsum("ij,ij->i", block, block)
    norms = np.sqrt(centred_sq)
    bound64 = _rounding_bound(2.0**-53, n, norms)
    dtype = np.float64
    if precision == "float32" and centred_sq.max() < _FAR32 / 16:
        dtype = np.float32
    rows = np.arange(m)
    cand, screened = _nearest_candidates(X, mean, centred_sq, k, block_size, dtype)
    bound = bound64 if dtype == np.float64 else _rounding_bound(2.0**-24, n, norms)
    dist, certified = _resolve(X, rows, cand, screened, bound)
    redo = np.flatnonzero(~certified)
    if redo.size:
        dist[redo] = _redo(X, mean, centred_sq, redo, dist[redo, 1], bound64[redo])
    return dist[:, 0].copy(), dist[:, 1].copy()


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
    dist = np.sort(_measure(arr, rows, cand), axis=1)  # self and padding measured as inf
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
        slack = _rounding_bound(2.0**-53, n, np.sqrt(np.concatenate([s_sq, b_sq])))[: rows.size]
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


def _twonn_from_distances(r1: np.ndarray, r2: np.ndarray, discard_fraction: float):
    """The fit of scikit-dimension's ``TwoNN._twonn`` (method='linear'), given r1 and r2."""
    with np.errstate(divide="ignore", invalid="ignore"):
        mu = r2 / r1
    finite = np.isfinite(mu)
    if not finite.all():  # only reachable through underflow of a tiny r1 or centring ties
        warnings.warn(
            f"Dropping {int(np.sum(~finite))} points with zero distance to their nearest "
            "neighbour.",
            RuntimeWarning,
            stacklevel=3,
        )
        mu = mu[finite]
    N = len(mu)
    n_keep = int(N * (1 - discard_fraction))
    if n_keep < 2:
        raise ValueError(
            f"TwoNN keeps int(N * (1 - discard_fraction)) = {n_keep} ratios of N = {N} points; "
            "it needs at least 2. Use more distinct points or a smaller discard_fraction."
        )
    mu = np.sort(mu)[:n_keep]
    F = np.arange(1, 1 + n_keep) / N  # N counts all points, not only the kept ones
    x = np.log(mu)
    y = -np.log(1 - F)
    sxx = float(np.dot(x, x))
    if sxx == 0.0:
        warnings.warn(
            "Every kept point has its two nearest neighbours at exactly the same distance "
            "(mu = 1, e.g. a regular grid); the TwoNN slope is undefined. Returning nan.",
            RuntimeWarning,
            stacklevel=3,
        )
        return float("nan"), N, n_keep
    return float(np.dot(x, y)) / sxx, N, n_keep


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
    arr = as_float_matrix(X, purpose="TwoNN")
    n_input = arr.shape[0]
    keep = _unique_row_mask(arr)
    n_distinct = int(keep.sum())
    if n_distinct < n_input:
        arr = arr[keep]
    if n_distinct < 3:
        raise ValueError(
            f"TwoNN needs at least 3 distinct points, got {n_distinct} distinct point(s) among "
            f"{n_input} row(s) ({n_input - n_distinct} exact duplicate(s) dropped). Embed more "
            "(distinct) texts."
        )
    approximation = None
    if _check_neighbours(neighbours) == "approximate":
        r1, r2 = approximate_two_nearest(arr)
        approximation = approximation_error(arr, r1, r2, sample=error_sample)
    else:
        r1, r2 = _two_nearest_exact(arr, block_size, precision)
    dimension, _, n_fit = _twonn_from_distances(r1, r2, fraction)
    return TwoNNResult(
        dimension=dimension,
        n_points=n_distinct,
        n_duplicates_dropped=n_input - n_distinct,
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
        arr = arr[_unique_row_mask(arr)]
    estimator = available[by_lower[name.lower()]](**kwargs)
    return float(estimator.fit(arr).dimension_)
