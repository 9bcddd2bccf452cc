"""The one nearest-neighbour core: exact k nearest distinct neighbours of every point of a cloud,
computed once and reused by every neighbour-based estimator and every split of the rows.

Pure numpy. Points are rows.

Steps (:class:`NeighbourLists`):

1. **Duplicates.** Exact duplicate rows (0.0 and -0.0 equal) enter once, the first copy standing for
   the others; the number dropped is reported. A duplicate would sit at distance 0 from its copy.
2. **Screen.** Candidates come from the squared distances |x|^2 + |y|^2 - 2 x.y of the centred
   points, formed tile by tile by matrix products over the upper triangle only (each unordered pair
   once), in float32 by default. Before the screen the points are multiplied by a power of two that
   brings the largest centred norm into [0.5, 1): exact in binary floating point, it keeps float32
   from underflowing on tiny embeddings (data scaled by 1e-22 otherwise get certified wrong
   neighbours) or overflowing on huge ones.
3. **Re-measure.** The candidates' distances are measured directly from the float64 vectors, exact
   to rounding even between near-duplicates, where the product formula loses its digits.
4. **Certificate.** Every point outside a point's candidates screened at least as high as its
   largest candidate, so its true squared distance is at least that minus a rigorous bound on the
   screen's rounding; the square root of that floor (and the first re-measured distance past the
   list) is the point's *safe radius*: no distinct point outside its list is closer.
5. **Queries.** For a subset of the rows (all of them, a split half, a subsample), a point's k
   nearest present neighbours are the first k present entries of its list when the k-th lies within
   the safe radius; otherwise (list too short for the subset, or uncertified) they are found by an
   exact search over the present points. So every answer equals a from-scratch search on the subset.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from mteb_redundancy.estimators._arrays import as_float_matrix

__all__ = [
    "CloudNeighbours", "Nearest", "NeighbourLists", "deduplicate_rows", "distinct_groups", "measure_distances",
]

# Screening tiles of at most _MAX_TILE x _MAX_TILE (32 MiB in float64); with the gathers of the
# selection step the working memory beyond the input stays well under 256 MiB whatever m.
_MAX_TILE = 2048
# Columns (rows) of a tile are split into interleaved groups of _GROUP; the group minima locate the
# few groups that can hold a point's nearest candidates without sorting the tile.
_GROUP = 16
# Squared norm given to padding rows so that they are never anyone's neighbour (finite, so that the
# products never form inf - inf or 0 * inf).
_FAR = 1e300
_FAR32 = 1e30
# Float64 elements per chunk of exact distance measurements.
_MEASURE_ELEMENTS = 1 << 22
_PRECISIONS = ("float32", "float64")


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
    weights = np.random.default_rng(0x5EED).integers(0, 2**63, size=n, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
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


def distinct_groups(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The duplicate rule. Returns ``(reps, group)``: ``reps`` are the rows of first occurrence of
    each distinct row, in order; ``group[i]`` is the position in ``reps`` of row i's value.

    Rows are hashed; only rows sharing a hash are compared exactly (equal rows always do).
    """
    m = X.shape[0]
    first_of = np.arange(m)  # the first row equal to each row
    if m > 1:
        _, inverse, counts = np.unique(_row_hashes(X), return_inverse=True, return_counts=True)
        suspects = np.flatnonzero(counts[inverse.ravel()] > 1)
        if suspects.size:
            rows = np.ascontiguousarray(X[suspects] + 0.0)
            keys = rows.view(np.dtype((np.void, rows.dtype.itemsize * rows.shape[1]))).ravel()
            _, first, inverse_s = np.unique(keys, return_index=True, return_inverse=True)
            first_of[suspects] = suspects[first[inverse_s.ravel()]]
    is_first = first_of == np.arange(m)
    position = np.cumsum(is_first) - 1
    return np.flatnonzero(is_first), position[first_of]


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
    kept, _ = distinct_groups(arr)
    return (arr if kept.size == arr.shape[0] else arr[kept]), kept


# --------------------------------------------------------------------------------------------
# Screening: candidate neighbours from tiled products
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
    return np.take_along_axis(vals, pick, axis=0).T, np.take_along_axis(rows, pick, axis=0).T


def _tile_rows(m: int, block_size: int | None) -> tuple[int, int]:
    """Number of row blocks and rows per square tile (a multiple of _GROUP) for m points."""
    tile = _MAX_TILE if block_size is None else int(block_size)
    if tile < 1:
        raise ValueError(f"block_size must be a positive number of rows, got {block_size!r}.")
    tile = max(_GROUP, tile)
    n_blocks = -(-m // tile)
    rows_per_block = -(-m // n_blocks)
    return n_blocks, -(-rows_per_block // _GROUP) * _GROUP


def _screen(centred: np.ndarray, sq: np.ndarray, k: int, block_size: int | None, dtype) -> tuple[np.ndarray, np.ndarray]:
    """Each point's k nearest other points by |x|^2 + |y|^2 - 2 x.y: indices and values, (m, k).

    The upper triangle of the squared-distance matrix is computed in square tiles; each tile is one
    matrix product of the augmented matrices [x, |x|^2, 1] and [-2y, 1, |y|^2]. A tile (I, J), I < J,
    feeds the candidates of the rows in I and, through its columns, those of the rows in J; a
    diagonal tile only its rows.
    """
    m, n = centred.shape
    n_blocks, T = _tile_rows(m, block_size)
    padded = n_blocks * T
    far = _FAR if dtype == np.float64 else _FAR32

    left = np.zeros((padded, n + 2), dtype=dtype)
    left[:m, :n] = centred
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
            cand_val[I], cand_idx[I] = _merge_candidates(cand_val[I], cand_idx[I], v, c + jb * T, k)
            if ib != jb:
                v, r = _column_candidates(D, k)
                cand_val[J], cand_idx[J] = _merge_candidates(cand_val[J], cand_idx[J], v, r + ib * T, k)
    return cand_idx[:m], cand_val[:m].astype(np.float64)


def rounding_bound(unit_roundoff: float, n: int, norms: np.ndarray) -> np.ndarray:
    """Per row, a bound on |screened - true| squared distance to any other point.

    |fl(D_ab) - D_ab| <= c (|x_a| + |x_b|)^2 with c = gamma_N + 3u: gamma_N = N u / (1 - N u)
    bounds the rounding of the N = n + 2 summed products in any order (FMA or not), 3u the rounding
    of the inputs to the working precision; doubled for slack (the centring and the re-measurement's
    own rounding).
    """
    N = n + 2
    gamma = N * unit_roundoff / (1 - N * unit_roundoff)
    return 2.0 * (gamma + 3 * unit_roundoff) * (norms + norms.max()) ** 2


def measure_distances(X: np.ndarray, rows: np.ndarray, cand: np.ndarray) -> np.ndarray:
    """Exact distances |X[rows[i]] - X[cand[i, j]]|, shape cand.shape, from the float64 vectors.
    Entries naming no other point (padding past the last row, or the row itself) are inf."""
    m, n = X.shape
    invalid = (cand >= m) | (cand < 0) | (cand == rows[:, None])
    cand = np.where(invalid, 0, cand)
    dist = np.empty(cand.shape)
    step = max(1, _MEASURE_ELEMENTS // (max(cand.shape[1], 1) * n))
    for start in range(0, rows.size, step):
        stop = min(rows.size, start + step)
        diff = X[cand[start:stop]] - X[rows[start:stop], None, :]
        dist[start:stop] = np.sqrt(np.einsum("ikj,ikj->ik", diff, diff))
    dist[invalid] = np.inf
    return dist


def _check_precision(precision: Any) -> str:
    if precision not in _PRECISIONS:
        raise ValueError(
            f"precision must be 'float64' or 'float32' (the dtype of the screening products; "
            f"both give exact neighbours), got {precision!r}."
        )
    return precision


def _power_of_two_scale(norms: np.ndarray) -> float:
    """2**e with the largest norm times 2**e in [0.5, 1): multiplying by it is exact."""
    top = float(norms.max())
    if top == 0.0:
        return 1.0
    return float(np.ldexp(1.0, -int(np.frexp(top)[1])))


# --------------------------------------------------------------------------------------------
# The lists
# --------------------------------------------------------------------------------------------


class Nearest(NamedTuple):
    """Answer of :meth:`NeighbourLists.nearest`, one row per present distinct point (in order)."""

    distances: np.ndarray  # (N, k) exact distances, increasing
    indices: np.ndarray  # (N, k) positions among the distinct points (NeighbourLists.reps)
    n_exact_fallbacks: int  # points whose neighbours came from the exact search, not the lists


class NeighbourLists:
    """Each distinct point's nearest distinct neighbours in a cloud, computed once.

    Parameters
    ----------
    X : ndarray (m, n), float64
        The cloud's rows.
    k : int
        Neighbours listed per point (the largest any estimator or split needs; more only saves
        exact searches on subsets). Queries for subsets stay exact whatever k.
    precision : {"float32", "float64"}, default "float32"
        Dtype of the screening products; both give the exact neighbours.
    block_size : int, optional
        Rows per screening tile (memory and speed only).
    distinct : bool, default True
        Apply the duplicate rule; False lists duplicates as neighbours at distance 0.

    Attributes
    ----------
    reps : ndarray
        Rows of X standing for the distinct points (first occurrences), in order.
    group : ndarray (m,)
        Position in ``reps`` of each row's value.
    n_distinct, n_duplicates_dropped : int
    """

    def __init__(self, X: np.ndarray, k: int, *, precision: str = "float32", block_size: int | None = None, distinct: bool = True):
        precision = _check_precision(precision)
        m, n = X.shape
        if distinct:
            self.reps, self.group = distinct_groups(X)
        else:
            self.reps = self.group = np.arange(m)
        self.X = X
        self.points = X if self.reps.size == m else X[self.reps]
        nd = self.reps.size
        self.n_distinct = int(nd)
        self.n_duplicates_dropped = int(m - nd)
        if nd < 2:
            raise ValueError(f"Nearest neighbours need at least 2 distinct points, got {nd}.")
        self.k = K = min(int(k), nd - 1)
        # a margin of candidates beyond k: they are re-measured, and give the safe radius
        C = min(K + (2 if K <= 2 else 8), nd - 1)

        P = self.points
        self._mean = P.mean(axis=0)
        sq = np.empty(nd)
        step = max(1, _MEASURE_ELEMENTS // n)
        for start in range(0, nd, step):
            block = P[start : start + step] - self._mean
            sq[start : start + step] = np.einsum("ij,ij->i", block, block)
        self._sq = sq
        norms = np.sqrt(sq)
        self._bound64 = rounding_bound(2.0**-53, n, norms)
        scale = _power_of_two_scale(norms)
        dtype = np.float32 if precision == "float32" else np.float64
        # the screen works on the scaled points (exact: a power of two), its values come back unscaled
        centred = (P - self._mean) * scale
        cand, screened = _screen(centred.astype(dtype, copy=False), sq * scale**2, C, block_size, dtype)
        del centred
        unit = 2.0**-24 if dtype == np.float32 else 2.0**-53
        # the floor of the certificate, in scaled units, then unscaled (exact: a power of two)
        floor = (screened.max(axis=1) - rounding_bound(unit, n, norms * scale)) / scale**2

        exact = measure_distances(P, np.arange(nd), cand)
        order = np.argsort(exact, axis=1, kind="stable")
        exact = np.take_along_axis(exact, order, axis=1)
        cand = np.take_along_axis(cand, order, axis=1)
        safe = exact[:, K].copy() if C > K else np.full(nd, np.inf)
        if C < nd - 1:  # some distinct points were never candidates
            safe = np.minimum(safe, np.sqrt(np.maximum(floor, 0.0)))
        self.index = np.ascontiguousarray(cand[:, :K])
        self.dist = np.ascontiguousarray(exact[:, :K])
        self.safe = safe

    def present_from_rows(self, rows: np.ndarray | None) -> np.ndarray | None:
        """The distinct points present in a boolean mask over the original rows (None: all)."""
        if rows is None:
            return None
        rows = np.asarray(rows, dtype=bool)
        if self.n_duplicates_dropped == 0:
            return rows
        present = np.zeros(self.n_distinct, dtype=bool)
        present[self.group[rows]] = True
        return present

    def nearest(self, k: int, present: np.ndarray | None = None) -> Nearest:
        """The k nearest present distinct neighbours of every present distinct point.

        ``present``: boolean mask over the distinct points (None: all). Exact: equals a
        from-scratch search among the present points.
        """
        sel = np.arange(self.n_distinct) if present is None else np.flatnonzero(present)
        N = sel.size
        if not 1 <= k <= N - 1:
            raise ValueError(f"{k} nearest neighbours need at least {k + 1} distinct points, got {N}.")
        K = self.index.shape[1]
        at = np.arange(N)[:, None]
        if present is None:
            pick = np.broadcast_to(np.arange(min(k, K)), (N, min(k, K)))
            enough = np.full(N, k <= K)
        else:
            kept = present[self.index[sel]]  # (N, K)
            if k == 2:  # the common TwoNN case, without a sort
                first = np.argmax(kept, axis=1)
                enough = kept[at[:, 0], first].copy()
                kept[at[:, 0], first] = False
                second = np.argmax(kept, axis=1)
                enough &= kept[at[:, 0], second]
                pick = np.stack([first, second], axis=1)
            else:
                pick = np.argsort(~kept, axis=1, kind="stable")[:, : min(k, K)]
                enough = (kept.sum(axis=1) >= k) if k <= K else np.zeros(N, dtype=bool)
        dist = np.full((N, k), np.inf)
        index = np.zeros((N, k), dtype=np.intp)
        width = pick.shape[1]
        dist[:, :width] = self.dist[sel[:, None], pick]
        index[:, :width] = self.index[sel[:, None], pick]
        redo = np.flatnonzero(~(enough & (dist[:, k - 1] <= self.safe[sel])))
        if redo.size:
            # where k present points were listed, the k-th is a true distance: an upper bound
            upper = np.where(enough[redo], dist[redo, k - 1], np.inf)
            dist[redo], index[redo] = self._exact(sel, redo, k, upper)
        return Nearest(dist, index, int(redo.size))

    def _exact(self, sel: np.ndarray, redo: np.ndarray, k: int, upper: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """k nearest among the points sel of the points sel[redo]: float64 products screen every
        point within ``upper`` (a true distance to a k-th present point, or inf) plus the rounding
        bound, and those are measured exactly from the vectors."""
        P = self.points
        n = P.shape[1]
        centred = P[sel] - self._mean
        sq = self._sq[sel]
        out_d = np.empty((redo.size, k))
        out_i = np.empty((redo.size, k), dtype=np.intp)
        step = max(1, (_MAX_TILE * _MAX_TILE) // sel.size)
        for start in range(0, redo.size, step):
            block = redo[start : start + step]
            D = centred[block] @ centred.T
            D *= -2.0
            D += sq[None, :]
            D += sq[block, None]
            D[np.arange(block.size), block] = np.nan  # never selected, even under an infinite limit
            bound = self._bound64[sel[block]]
            limit = upper[start : start + step] ** 2 * (1 + 1e-9) + bound
            # Without a listed k-th distance, the k-th smallest screened value bounds it: k points screen
            # at most that, so the true k-th squared distance is at most it plus the bound, and every
            # point within that screens at most it plus twice the bound. Only those are measured.
            kth = np.partition(D, k - 1, axis=1)[:, k - 1]  # NaN (the point itself) sorts last
            limit = np.minimum(limit, np.maximum(kth, 0.0) * (1 + 1e-9) + 2.0 * bound)
            pr, pc = np.nonzero(D <= limit[:, None])
            del D
            d = np.empty(pr.size)
            chunk = max(1, _MEASURE_ELEMENTS // n)
            for a in range(0, pr.size, chunk):
                diff = P[sel[pc[a : a + chunk]]] - P[sel[block[pr[a : a + chunk]]]]
                d[a : a + chunk] = np.sqrt(np.einsum("ij,ij->i", diff, diff))
            order = np.lexsort((d, pr))
            pr, pc, d = pr[order], pc[order], d[order]
            first = np.searchsorted(pr, np.arange(block.size))  # each row has >= k pairs
            take = first[:, None] + np.arange(k)[None, :]
            out_d[start : start + step] = d[take]
            out_i[start : start + step] = sel[pc[take]]
        return out_d, out_i

    def view(self, rows: np.ndarray | None = None) -> "CloudNeighbours":
        """What an estimator's ``compute`` receives for the rows in a boolean mask (None: all)."""
        return CloudNeighbours(self, self.present_from_rows(rows))


class CloudNeighbours:
    """A cloud (or a subset of its rows) with access to its points' nearest distinct neighbours.

    ``points``: its distinct rows (float64); ``distances(k)``: (len(points), k) exact distances of
    each to its k nearest other points, increasing; ``n_exact_fallbacks`` counts the points whose
    neighbours the lists could not give (searched exactly instead).
    """

    def __init__(self, lists: NeighbourLists, present: np.ndarray | None):
        self.lists = lists
        self.present = present
        self.n_exact_fallbacks = 0
        self._cache: dict[int, Nearest] = {}

    @property
    def points(self) -> np.ndarray:
        P = self.lists.points
        return P if self.present is None else P[self.present]

    @property
    def n_points(self) -> int:
        return self.lists.n_distinct if self.present is None else int(np.count_nonzero(self.present))

    def nearest(self, k: int) -> Nearest:
        if k not in self._cache:
            self._cache[k] = self.lists.nearest(k, self.present)
            self.n_exact_fallbacks += self._cache[k].n_exact_fallbacks
        return self._cache[k]

    def distances(self, k: int) -> np.ndarray:
        return self.nearest(k).distances


def cloud_neighbours(X: Any, k: int, purpose: str) -> CloudNeighbours:
    """Neighbours of a whole cloud, for an estimator called without them."""
    arr = as_float_matrix(X, purpose=purpose)
    return NeighbourLists(arr, k).view()
