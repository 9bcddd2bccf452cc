"""Paired split-half intervals for every registered estimator (docs/methods.md: TwoNN, redundancy per prompt type).

Pure numpy: no MTEB, torch or scikit-learn import; from the project, only the other estimator modules. Points are rows.

The input is several point clouds that share their rows: the same m texts embedded under several
prompt types, row i of every cloud being text i. From that one set of embeddings (nothing is
re-encoded) :func:`paired_bootstrap` gives, for every cloud and statistic, the point estimate on all
rows with a confidence interval, and for every pair of clouds the paired difference (cloud A minus
cloud B, both always computed on the same texts) with its interval.

Resampling scheme: paired random split-half
-------------------------------------------
For r = 1..R the m rows are split at random into two disjoint halves S_r and S'_r of
b = floor(m / 2) rows each (for odd m one random row sits that split out), and the **same** split
is used for every cloud. With theta(S) the statistic computed from scratch on the rows S, theta_hat
the statistic on all m rows and::

    delta_r = (theta(S_r) - theta(S'_r)) / 2

the 100c% interval is ``theta_hat -/+ q_c(|delta|)``, q_c the c-quantile of |delta_1|..|delta_R|
(the basic interval built from the symmetrised deviations +-delta_r, centred on theta_hat). A paired
difference A - B uses theta_hat_A - theta_hat_B and delta^A_r - delta^B_r, i.e. the two clouds'
statistics on the same halves; a cloud against itself gives exactly 0 with a zero-width interval.

Why this scheme:

* **The m-dependence cancels exactly.** The two halves hold the same number of distinct texts, drawn
  from the same population, and are disjoint, so theta(S) and theta(S') are independent and
  identically distributed: delta has mean exactly zero, whatever the statistic's dependence on m
  (IsoScore rises strongly with m: an isotropic Gaussian in 384 dims scores about 0.50 at m = 384
  and 0.93 at m = 5000; TwoNN's bias changes with m too). The classic bootstrap draws texts *with*
  replacement instead: about 37% of each replicate repeats other rows, TwoNN must drop the repeats
  (changing m) and IsoScore sees fewer distinct points, so its replicates are shifted.
* **The spread is the full estimator's.** Var(delta) = Var(theta_b) / 2, and the estimators'
  variance scales as 1/m, so Var(theta_{m/2}) / 2 = Var(theta_m): the spread of delta is the
  sampling spread of the estimate on all rows. This needs no linearity: for an asymptotically
  linear statistic delta_r equals theta(S_r) - theta_hat (ordinary half-sampling), and it stays
  right for TwoNN, which recomputes every point's neighbours inside each half.
* **Why not plain half-sampling** (the spread of theta(S_r) around its mean, the first scheme
  evaluated): it matches the spread only for asymptotically linear statistics. A half-sample's TwoNN
  behaves largely as a fresh estimate at size m/2, so its spread around the full estimate is close
  to that of theta_{m/2}, up to twice the variance of theta_m. Measured on synthetic data
  (``benchmarks/results/bootstrap_coverage.md``: 100 datasets of m = 400 per case), half-sampling
  intervals for TwoNN were 1.16-1.32 times too wide (coverage 0.96-0.99), split-half ones 0.93-1.04
  times the true spread (coverage 0.92-0.93 of the known ID on spheres, 0.93 for a paired
  difference). Resampling the per-point ratios mu_i computed on all rows, the other cheap option,
  ignores the dependence between neighbouring points' ratios: 0.76-0.84 times too narrow (coverage
  0.86-0.88). The with-replacement percentile bootstrap covered 0.000 of the truth for IsoScore of
  an isotropic cloud (the shift described above).
* **Paired.** One split serves every cloud, so a difference between prompt types is a statistic of
  the same texts; the text-to-text variation common to both cancels, which is why such differences
  are much better determined than either cloud's own value.
* **What the interval is for**: the statistic's expected value at the full m (the quantity the point
  estimate estimates, and the one to compare models at, at equal m: docs/methods.md: IsoScore). TwoNN's known
  under-estimate of high IDs is not corrected (docs/methods.md: TwoNN: report it as computed).

Limitations. The interval is symmetric about the estimate (skewness is not modelled). The 1/m
variance law is asymptotic: where the statistic's variance falls faster than 1/m, as for IsoScore of
an almost isotropic cloud (its first-order term vanishes), the interval is conservative (1.28 times
the true spread, coverage 0.99, for an isotropic Gaussian in 20 dims at m = 400); where m Var still
grows with m, as for IsoScore when m is only ten-odd times the number of dimensions, it is somewhat
narrow (about 0.9 times the true spread, coverage 0.90-0.915, for a Gaussian with a decaying
spectrum in 30 dims at m = 400; 1.02-1.09 and 0.95-0.96 in 20 dims). With R splits the quantile q_c
is itself estimated: R = 200 (default) or more for 95% intervals. Measured coverage is in
``tests/test_bootstrap.py`` and ``benchmarks/results/bootstrap_coverage.md``.

Computation
-----------
Per cloud, one neighbour computation (:class:`~mteb_redundancy.estimators.neighbours.NeighbourLists`,
the core TwoNN itself uses) lists each distinct point's nearest distinct neighbours on all rows, at
least ``n_neighbors`` (default 32) and 3 times the most any requested estimator needs:

* **Neighbour-based estimators** (TwoNN, MLE, a plugin's): in a half, each kept point's k nearest
  neighbours are the first k kept points of its list; a point whose list runs out (chance about 3e-8
  for TwoNN at 32 entries) or whose k-th neighbour lies beyond its certified safe radius is searched
  exactly among the kept points, so the value always equals the estimator computed from scratch on the
  half (for TwoNN, scikit-dimension's ``TwoNN().fit(X).dimension_``, discard_fraction 0.1). Exact
  duplicate rows (0.0 and -0.0 equal) are handled by the core's rule: one copy of each distinct row
  enters, N counts distinct points.
* **IsoScore**: IsoScore depends on the covariance only through the trace T and the squared
  Frobenius norm Q of the centred scatter matrix, ``(T^2 / Q - 1) / (n - 1)`` (docs/methods.md: IsoScore;
  the formula is ``isoscore.isoscore_from_trace_and_frobenius``). One blocked pass over the rows forms
  the Gram matrix G of the globally centred rows in float64 blocks of at most ``_BLOCK_ELEMENTS``
  entries (memory bounded whatever m). With w the 0/1 indicator of a set of b rows and H = G * G
  entrywise, T = w.diag(G) - w'Gw / b and Q = w'Hw - 2 sum_i w_i (Gw)_i^2 / b + (w'Gw / b)^2. All R
  splits cost two products of each Gram block with the (m, R) indicator matrix of the first halves;
  the second halves follow from G1 - Gw (and one column for the row left out when m is odd).
* **Any other estimator** (no neighbours, e.g. lPCA) is computed on each half's rows.

Other statistics can be passed as ``(name, function)`` pairs; they are computed directly on each
half (slow path).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mteb_redundancy.estimators.builtin import BUILT_IN_ESTIMATORS
from mteb_redundancy.estimators.isoscore import ESTIMATOR as _ISOSCORE
from mteb_redundancy.estimators.isoscore import isoscore_from_trace_and_frobenius
from mteb_redundancy.estimators.neighbours import NeighbourLists, distinct_groups
from mteb_redundancy.estimators.registry import Estimator, find_estimator
from mteb_redundancy.estimators.twonn import DegenerateFitError, twonn_estimator, twonn_fit

__all__ = [
    "SCHEME",
    "BootstrapResult",
    "Interval",
    "format_difference",
    "format_interval",
    "paired_bootstrap",
    "split_masks",
    "twonn_from_distances",
]

SCHEME = "paired random split-half"
"""Name of the resampling scheme recorded in every :class:`BootstrapResult`."""

DEFAULT_DISCARD_FRACTION = 0.1
DEFAULT_N_NEIGHBORS = 32

# The default when none are named: the two statistics of Tsukagoshi & Sasano (2025). The redundancy
# analyses pass every registered estimator instead.
DEFAULT_STATISTICS = ("twonn", "isoscore")
_LABELS = {"twonn": "ID", "isoscore": "IsoScore"}
_DIGITS = {"twonn": 1, "isoscore": 4}

# Entries of one float64 block (rows x m) of the Gram / distance matrices: 32 MiB each; a handful
# of such blocks are alive at once, so the working memory beyond the inputs stays near 200 MiB.
_BLOCK_ELEMENTS = 1 << 22
# Columns of the split-indicator matrix multiplied at once.
_W_CHUNK = 256


# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


def _json_float(value: float) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


@dataclass(frozen=True)
class Interval:
    """A point estimate with a confidence interval ``[low, high]``."""

    estimate: float
    low: float
    high: float

    @property
    def width(self) -> float:
        return self.high - self.low

    def contains(self, value: float) -> bool:
        """Whether ``low <= value <= high``."""
        return bool(self.low <= value <= self.high)

    def to_dict(self) -> dict[str, float | None]:
        """``{"estimate", "low", "high"}``; non-finite values become ``None`` (JSON-safe)."""
        return {
            "estimate": _json_float(self.estimate),
            "low": _json_float(self.low),
            "high": _json_float(self.high),
        }


@dataclass(frozen=True)
class BootstrapResult:
    """Outcome of :func:`paired_bootstrap`.

    Attributes
    ----------
    estimates : dict
        ``estimates[cloud][statistic]``: the :class:`Interval` of that statistic of that cloud.
    differences : dict
        ``differences[(a, b)][statistic]``: the paired difference a minus b, for every pair of
        distinct clouds with a before b in input order (:meth:`difference` gives any order).
    statistics : tuple of str
    scheme : str
        :data:`SCHEME`.
    n_resamples : int
        Random splits R (each gives two halves).
    seed : int
        Seed of the splits (:func:`split_masks` reproduces them).
    confidence : float
    n_points : int
        Rows shared by the clouds (m).
    subsample_size : int
        Rows per half (b = floor(m / 2)).
    n_distinct : dict
        Distinct rows per cloud (the N of TwoNN on all rows; only TwoNN drops duplicates).
    n_exact_fallbacks : dict
        Per cloud, the (point, half) pairs whose two neighbours came from the exact search rather
        than the precomputed lists (0 is usual).
    n_failed : dict
        ``n_failed[cloud][statistic]``: splits left out because a half gave no finite value.
    replicates : dict
        ``replicates[cloud][statistic]``: ndarray (n_resamples, 2), the statistic on both halves.
    """

    estimates: dict[str, dict[str, Interval]]
    differences: dict[tuple[str, str], dict[str, Interval]]
    statistics: tuple[str, ...]
    scheme: str
    n_resamples: int
    seed: int
    confidence: float
    n_points: int
    subsample_size: int
    n_distinct: dict[str, int]
    n_exact_fallbacks: dict[str, int]
    n_failed: dict[str, dict[str, int]]
    replicates: dict[str, dict[str, np.ndarray]] = field(repr=False, compare=False)

    @property
    def clouds(self) -> tuple[str, ...]:
        return tuple(self.estimates)

    def interval(self, cloud: str, statistic: str) -> Interval:
        """The :class:`Interval` of ``statistic`` for ``cloud``."""
        self._check(cloud, statistic)
        return self.estimates[cloud][statistic]

    def difference(self, a: str, b: str, statistic: str) -> Interval:
        """Paired difference ``a - b`` of ``statistic`` with its interval (any two clouds, a == b too)."""
        self._check(a, statistic)
        self._check(b, statistic)
        return _split_half_interval(
            self.estimates[a][statistic].estimate - self.estimates[b][statistic].estimate,
            self.replicates[a][statistic] - self.replicates[b][statistic],
            self.confidence,
        )

    def _check(self, cloud: str, statistic: str) -> None:
        if cloud not in self.estimates:
            raise KeyError(f"Unknown cloud {cloud!r}; the clouds are {list(self.estimates)}.")
        if statistic not in self.statistics:
            raise KeyError(f"Unknown statistic {statistic!r}; computed: {list(self.statistics)}.")

    def to_dict(self, include_replicates: bool = False) -> dict[str, Any]:
        """JSON-safe dictionary (plain floats, ints, strings, lists; non-finite floats as None)."""
        out: dict[str, Any] = {
            "scheme": self.scheme,
            "n_resamples": self.n_resamples,
            "seed": self.seed,
            "confidence": self.confidence,
            "n_points": self.n_points,
            "subsample_size": self.subsample_size,
            "statistics": list(self.statistics),
            "clouds": {
                cloud: {stat: iv.to_dict() for stat, iv in stats.items()}
                for cloud, stats in self.estimates.items()
            },
            "differences": [
                {"a": a, "b": b, **{stat: iv.to_dict() for stat, iv in stats.items()}}
                for (a, b), stats in self.differences.items()
            ],
            "n_distinct": dict(self.n_distinct),
            "n_exact_fallbacks": dict(self.n_exact_fallbacks),
            "n_failed": {cloud: dict(counts) for cloud, counts in self.n_failed.items()},
        }
        if include_replicates:
            out["replicates"] = {
                cloud: {stat: [[_json_float(v) for v in pair] for pair in values] for stat, values in stats.items()}
                for cloud, stats in self.replicates.items()
            }
        return out


# --------------------------------------------------------------------------------------------
# Formatting
# --------------------------------------------------------------------------------------------


def _fmt(value: float, digits: int) -> str:
    text = f"{value:.{digits}f}"
    return text.lstrip("-") if float(text) == 0.0 else text  # no "-0.0"


def _label_and_digits(statistic: str, digits: int | None) -> tuple[str, int]:
    return _LABELS.get(statistic, statistic), (_DIGITS.get(statistic, 3) if digits is None else int(digits))


def format_interval(result: BootstrapResult, cloud: str, statistic: str = "twonn", *, digits: int | None = None) -> str:
    """E.g. ``"query: ID 34.7 (95% CI 33.9..35.5)"``."""
    iv = result.interval(cloud, statistic)
    label, d = _label_and_digits(statistic, digits)
    pct = f"{100 * result.confidence:g}%"
    return f"{cloud}: {label} {_fmt(iv.estimate, d)} ({pct} CI {_fmt(iv.low, d)}..{_fmt(iv.high, d)})"


def format_difference(
    result: BootstrapResult, a: str, b: str, statistic: str = "twonn", *, digits: int | None = None
) -> str:
    """A sentence on the paired difference ``a - b``.

    E.g. ``"classification vs query: ID lower by 3.1 (95% CI 2.4..3.9)"``: the amount and the
    interval are both expressed in the direction of the estimate (for "lower by", the interval of
    b - a). ``", includes 0"`` is added when the interval contains 0. ``digits`` defaults to 1 for
    the ID, 4 for IsoScore and 3 otherwise.
    """
    iv = result.difference(a, b, statistic)
    label, d = _label_and_digits(statistic, digits)
    pct = f"{100 * result.confidence:g}%"
    if not (math.isfinite(iv.estimate) and math.isfinite(iv.low) and math.isfinite(iv.high)):
        return f"{a} vs {b}: {label} difference undefined"
    if iv.estimate == 0.0 and iv.low == 0.0 and iv.high == 0.0:
        return f"{a} vs {b}: {label} no different (difference 0, {pct} CI 0..0)"
    if iv.estimate < 0:
        word, amount, low, high = "lower", -iv.estimate, -iv.high, -iv.low
    else:
        word, amount, low, high = "higher", iv.estimate, iv.low, iv.high
    note = ", includes 0" if iv.contains(0.0) else ""
    return f"{a} vs {b}: {label} {word} by {_fmt(amount, d)} ({pct} CI {_fmt(low, d)}..{_fmt(high, d)}{note})"


# --------------------------------------------------------------------------------------------
# Small pieces
# --------------------------------------------------------------------------------------------


def _split_half_interval(estimate: float, halves: np.ndarray, confidence: float) -> Interval:
    """estimate -/+ the confidence-quantile of |theta(S) - theta(S')| / 2 over the finite splits."""
    halves = np.asarray(halves, dtype=np.float64)
    delta = np.abs(halves[:, 0] - halves[:, 1]) / 2.0
    delta = delta[np.isfinite(delta)]
    estimate = float(estimate)
    if delta.size < 2 or not math.isfinite(estimate):
        return Interval(estimate, float("nan"), float("nan"))
    q = float(np.quantile(delta, confidence))
    return Interval(estimate, estimate - q, estimate + q)


def twonn_from_distances(r1: np.ndarray, r2: np.ndarray, discard_fraction: float = DEFAULT_DISCARD_FRACTION) -> float:
    """TwoNN from each point's nearest and second-nearest distances (docs/methods.md: TwoNN), by the
    one fit (:func:`~mteb_redundancy.estimators.twonn.twonn_fit`); nan where that fit is degenerate
    (fewer than 2 ratios kept, or all kept ratios 1): a half that gives nan counts as a failed split."""
    try:
        return twonn_fit(r1, r2, discard_fraction)[0]
    except DegenerateFitError:
        return float("nan")


def split_masks(n_points: int, n_resamples: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The random splits :func:`paired_bootstrap` uses.

    Returns two bool arrays (n_points, n_resamples): column r of the first marks S_r, of the second
    S'_r; both have floor(n_points / 2) rows and are disjoint (for odd n_points one row is in
    neither). Split r takes the first and second halves of ``rng.permutation(n_points)``, with
    ``rng = numpy.random.default_rng(seed)`` drawn in order r = 0, 1, ...
    """
    m, R = int(n_points), int(n_resamples)
    b = m // 2
    rng = np.random.default_rng(seed)
    first = np.zeros((m, R), dtype=bool)
    second = np.zeros((m, R), dtype=bool)
    for r in range(R):
        order = rng.permutation(m)
        first[order[:b], r] = True
        second[order[b : 2 * b], r] = True
    return first, second


def _as_cloud(X: Any, name: str) -> np.ndarray:
    try:
        arr = np.asarray(X)
    except (TypeError, ValueError) as error:  # ragged lists and the like
        raise ValueError(f"cloud {name!r} could not be read as an array ({error}).") from None
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"cloud {name!r} must hold real numbers, got dtype {arr.dtype}.")
    if arr.ndim != 2:
        raise ValueError(f"cloud {name!r} must be 2-D (n_points, n_dims), got shape {arr.shape}.")
    if arr.shape[1] < 2:
        raise ValueError(f"cloud {name!r} needs at least 2 dimensions, got {arr.shape[1]}.")
    arr = np.ascontiguousarray(arr, dtype=np.float64)
    if not np.isfinite(arr).all():
        raise ValueError(f"cloud {name!r} has NaN or infinite entries; drop or re-embed those rows first.")
    return arr


class _IsoAccumulator:
    """Sums giving T and Q (see the module docstring) for a set of row indicators."""

    def __init__(self, size: int):
        self.s = np.zeros(size)  # w' G w
        self.p = np.zeros(size)  # sum_i w_i (G w)_i^2
        self.h = np.zeros(size)  # w' H w

    def add(self, cols: slice, W: np.ndarray, GW: np.ndarray, HW: np.ndarray) -> None:
        self.s[cols] += np.einsum("ij,ij->j", W, GW)
        self.p[cols] += np.einsum("ij,ij->j", W, GW * GW)
        self.h[cols] += np.einsum("ij,ij->j", W, HW)

    def isoscore(self, trace: np.ndarray, sizes: np.ndarray, n: int) -> np.ndarray:
        mean_term = self.s / sizes
        T = trace - mean_term
        Q = self.h - 2.0 * self.p / sizes + mean_term**2
        return isoscore_from_trace_and_frobenius(T, Q, n)


def _cloud_pass(X: np.ndarray, halves: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """IsoScore of all rows, then of the R first halves and the R second halves (length 1 + 2R),
    from one blocked pass over the Gram matrix of the centred rows."""
    m, n = X.shape
    Xc = X - X.mean(axis=0)
    sq = np.einsum("ij,ij->i", Xc, Xc)
    block = max(1, min(m, _BLOCK_ELEMENTS // m))
    first, second = halves
    R = first.shape[1]
    # the row left out of split r when m is odd (first and second are then not complements)
    left = np.argmax(~(first | second), axis=0) if m % 2 else None
    full = _IsoAccumulator(1)
    acc1 = _IsoAccumulator(R)
    acc2 = _IsoAccumulator(R)
    for start in range(0, m, block):
        stop = min(m, start + block)
        G = Xc[start:stop] @ Xc.T  # (B, m)
        H = G * G
        g1 = G.sum(axis=1)[:, None]  # G 1 on this block's rows
        h1 = H.sum(axis=1)[:, None]
        full.add(slice(0, 1), np.ones((stop - start, 1)), g1, h1)
        for c0 in range(0, R, _W_CHUNK):
            cols = slice(c0, min(R, c0 + _W_CHUNK))
            W = first[:, cols].astype(np.float64)
            GW = G @ W
            HW = H @ W
            acc1.add(cols, W[start:stop], GW, HW)
            # second half = 1 - first - (row left out): G w' = G 1 - G w - G e_left
            GW = g1 - GW
            HW = h1 - HW
            if left is not None:
                GW -= G[:, left[cols]]
                HW -= H[:, left[cols]]
            acc2.add(cols, second[start:stop, cols].astype(np.float64), GW, HW)
        del G, H
    b = float(first[:, 0].sum()) if R else 0.0
    return np.concatenate([
        np.atleast_1d(full.isoscore(np.array([sq.sum()]), np.array([float(m)]), n)),
        np.atleast_1d(acc1.isoscore(sq @ first, np.full(R, b), n)),
        np.atleast_1d(acc2.isoscore(sq @ second, np.full(R, b), n)),
    ])


# --------------------------------------------------------------------------------------------
# Statistics
# --------------------------------------------------------------------------------------------


def _parse_statistics(statistics: Any, discard_fraction: float) -> list[tuple[str, Estimator]]:
    """Each statistic as (name, Estimator): a built-in estimator's name, an Estimator (e.g. one a
    plugin registered), or a (name, function X -> float) pair computed directly on each half."""
    if isinstance(statistics, (str, Estimator)) or (
        isinstance(statistics, tuple) and len(statistics) == 2 and callable(statistics[1])
    ):
        statistics = [statistics]  # a single statistic
    builtin = {est.name: est for est in BUILT_IN_ESTIMATORS}
    builtin["twonn"] = twonn_estimator(discard_fraction)
    parsed: list[tuple[str, Estimator]] = []
    for item in statistics:
        if isinstance(item, str):
            try:
                parsed.append((item.lower(), find_estimator(item, builtin.values())))
            except ValueError as error:
                raise ValueError(f"Unknown statistic {item!r}: {error} Or pass a (name, function) pair.") from None
        elif isinstance(item, Estimator):
            parsed.append((item.name, item))
        elif isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str) and callable(item[1]):
            function = item[1]
            parsed.append((item[0], Estimator(
                name="pair", label=item[0], family="intrinsic_dimension",
                compute=lambda X, neighbours=None, function=function: function(X),
            )))
        else:
            raise ValueError(
                f"Each statistic must be an estimator's name ({', '.join(builtin)}), an Estimator or a "
                f"(name, function X -> float) pair, got {item!r}."
            )
    names = [name for name, _ in parsed]
    if not parsed or len(set(names)) != len(names):
        raise ValueError(f"statistics must be non-empty with distinct names, got {names}.")
    return parsed


def _value(estimator: Estimator, X: np.ndarray, lists: NeighbourLists | None, rows: np.ndarray | None) -> tuple[float, int]:
    """The estimator on the rows in the mask ``rows`` (None: all) and the exact-search fallbacks it
    needed; nan where it cannot be computed there (a degenerate fit): that split then counts as failed."""
    try:
        if estimator.n_neighbors and lists is not None:
            view = lists.view(rows)
            value = float(estimator.compute(view.points, view))
            return value, view.n_exact_fallbacks
        return float(estimator.compute(X if rows is None else X[rows])), 0
    except ValueError:
        return float("nan"), 0


def paired_bootstrap(
    clouds: Mapping[str, Any],
    *,
    n_resamples: int = 200,
    seed: int = 0,
    confidence: float = 0.95,
    statistics: Sequence[Any] = DEFAULT_STATISTICS,
    n_neighbors: int = DEFAULT_N_NEIGHBORS,
    discard_fraction: float = DEFAULT_DISCARD_FRACTION,
    neighbour_lists: Mapping[str, NeighbourLists] | None = None,
) -> BootstrapResult:
    """Intervals for each cloud's statistics and paired differences between clouds sharing rows.

    The scheme is paired random split-half (module docstring: what it is and why): R random splits
    of the rows into two disjoint halves, the same splits for every cloud; each interval is the
    estimate on all rows -/+ the ``confidence``-quantile of half the difference between the halves.

    Parameters
    ----------
    clouds : mapping of name to array (m, n_dims)
        Point clouds whose row i is the same text in all of them (same m, at least 8; widths may
        differ). float32 is accepted; arithmetic is float64.
    n_resamples : int, default 200
        Random splits R (at least 2; 200 or more for 95% intervals).
    seed : int, default 0
        Seed of the splits (:func:`split_masks` reproduces them).
    confidence : float, default 0.95
    statistics : sequence, default ("twonn", "isoscore")
        Names of built-in estimators (``"twonn"``, ``"isoscore"``, ``"mle"``, ``"lpca"``),
        :class:`~mteb_redundancy.estimators.registry.Estimator` objects (a plugin's, say) and/or
        ``(name, function)`` pairs, the function computed directly on each half ``X[rows]`` and on
        ``X`` (slow path, for checks). An estimator that cannot be computed on a half (a degenerate
        fit, or another ValueError it raises) gives nan there and that split counts in ``n_failed``.
    n_neighbors : int, default 32
        Neighbours listed per point by the shared core (at least 3 times the most any estimator
        needs). Speed only: the result is exact for any value >= 1 (points whose list runs out in a
        half are searched exactly).
    discard_fraction : float, default 0.1
        TwoNN's discard fraction.
    neighbour_lists : mapping of name to NeighbourLists, optional
        A cloud's lists from the shared core, already computed on the same rows (the headline
        measurement's), so that the cloud's neighbours are computed once; built here otherwise.

    Returns
    -------
    BootstrapResult
        Per cloud and statistic an :class:`Interval`; paired differences; the scheme, n_resamples,
        seed, confidence and subsample size (rows per half).
    """
    if not isinstance(clouds, Mapping) or not clouds:
        raise ValueError("clouds must be a non-empty mapping of name -> (n_points, n_dims) array.")
    names = list(clouds)
    for name in names:
        if not isinstance(name, str):
            raise ValueError(f"cloud names must be strings, got {name!r}.")
    parsed = _parse_statistics(statistics, discard_fraction)
    R = int(n_resamples)
    if R < 2:
        raise ValueError(f"n_resamples must be at least 2, got {n_resamples!r}.")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"seed must be an int (the splits are reproducible from it), got {seed!r}.")
    confidence = float(confidence)
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be strictly between 0 and 1, got {confidence!r}.")
    discard_fraction = float(discard_fraction)
    if not 0.0 < discard_fraction < 1.0:
        raise ValueError(f"discard_fraction must be strictly between 0 and 1, got {discard_fraction!r}.")
    if int(n_neighbors) < 1:
        raise ValueError(f"n_neighbors must be at least 1, got {n_neighbors!r}.")

    shapes = {name: np.shape(clouds[name]) for name in names}
    n_rows = {shape[0] if len(shape) else None for shape in shapes.values()}
    if len(n_rows) != 1:
        raise ValueError(f"All clouds must share their rows (same number of rows), got shapes {shapes}.")
    m = next(iter(n_rows))
    if m is None or m < 8:
        raise ValueError(f"Split-half intervals need at least 8 rows (4 per half), got shapes {shapes}.")
    first, second = split_masks(m, R, int(seed))
    b = m // 2

    estimates: dict[str, dict[str, Interval]] = {}
    replicates: dict[str, dict[str, np.ndarray]] = {}
    n_distinct: dict[str, int] = {}
    fallbacks: dict[str, int] = {}
    failed: dict[str, dict[str, int]] = {}
    # one neighbour computation per cloud serves every estimator and every half; lists long enough
    # that a half almost always finds an estimator's k present neighbours in them
    k_max = max((est.n_neighbors for _, est in parsed), default=0)
    n_list = max(int(n_neighbors), 3 * k_max)
    for name in names:
        X = _as_cloud(clouds[name], name)
        lists = (neighbour_lists or {}).get(name)
        if k_max and (lists is None or lists.X.shape != X.shape):
            lists = NeighbourLists(X, n_list)
        iso_values = _cloud_pass(X, (first, second)) if any(est is _ISOSCORE for _, est in parsed) else None
        n_distinct[name] = lists.n_distinct if lists is not None else int(distinct_groups(X)[0].size)
        fallbacks[name] = 0
        values: dict[str, tuple[float, np.ndarray]] = {}
        for stat, estimator in parsed:
            halves = np.empty((R, 2))
            if estimator is _ISOSCORE:  # IsoScore's splits come at once from the Gram matrix
                full = float(iso_values[0])
                halves[:, 0] = iso_values[1 : R + 1]
                halves[:, 1] = iso_values[R + 1 :]
            else:
                full, count = _value(estimator, X, lists, None)
                fallbacks[name] += count
                for r in range(R):
                    for h, mask in enumerate((first[:, r], second[:, r])):
                        halves[r, h], count = _value(estimator, X, lists, mask)
                        fallbacks[name] += count
            values[stat] = (full, halves)
        estimates[name] = {
            stat: _split_half_interval(full, halves, confidence) for stat, (full, halves) in values.items()
        }
        replicates[name] = {stat: halves for stat, (_, halves) in values.items()}
        failed[name] = {
            stat: int((~np.isfinite(halves).all(axis=1)).sum()) for stat, (_, halves) in values.items()
        }

    result = BootstrapResult(
        estimates=estimates,
        differences={},
        statistics=tuple(stat for stat, _ in parsed),
        scheme=SCHEME,
        n_resamples=R,
        seed=int(seed),
        confidence=confidence,
        n_points=m,
        subsample_size=b,
        n_distinct=n_distinct,
        n_exact_fallbacks=fallbacks,
        n_failed=failed,
        replicates=replicates,
    )
    for i, a in enumerate(names):
        for other in names[i + 1 :]:
            result.differences[(a, other)] = {stat: result.difference(a, other, stat) for stat in result.statistics}
    return result
