"""Paired split-half intervals for every registered estimator (docs/methods.md: Intervals).

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
is used for every cloud. Each half is split again into two quarters of c = floor(b / 2) rows, Q1, Q2
of S_r and Q3, Q4 of S'_r (the next rows of the same permutation: :func:`quarter_masks`). With
theta(S) the statistic computed from scratch on the rows S, theta_hat the statistic on all m rows::

    delta_r = (theta(S_r) - theta(S'_r)) / 2            (R of them)
    eps_r   = (theta(Q1) - theta(Q2)) / 2, (theta(Q3) - theta(Q4)) / 2     (2R of them)
    r_hat   = mean(eps^2) / mean(delta^2), clipped to [1, 4]

the 100c% interval is ``theta_hat -/+ sqrt(2 / r_hat) q_c(|delta|)``, q_c the c-quantile of
|delta_1|..|delta_R| (the basic interval built from the symmetrised deviations +-delta_r, centred on
theta_hat, rescaled from halves to all rows). A paired difference A - B uses theta_hat_A -
theta_hat_B and the differences of the two clouds' statistics on the same halves and quarters (its
own r_hat); a cloud against itself gives exactly 0 with a zero-width interval.

**What the interval covers**: E[theta_m], the expectation of the estimate over samples of m texts
from the same population, the quantity the point estimate estimates and the one to compare models
at, at equal m (docs/methods.md: IsoScore). It is not the population value: TwoNN's
under-estimate of high IDs and IsoScore's rise with m are not corrected (docs/methods.md: TwoNN:
report it as computed). :func:`covers` words it for every printed interval.

Why this scheme:

* **The m-dependence cancels exactly.** The two halves hold the same number of distinct texts, drawn
  from the same population, and are disjoint, so theta(S) and theta(S') are independent and
  identically distributed: delta has mean exactly zero, whatever the statistic's dependence on m
  (IsoScore rises strongly with m: an isotropic Gaussian in 384 dims scores about 0.50 at m = 384
  and 0.93 at m = 5000; TwoNN's bias changes with m too); so has eps. The classic bootstrap draws
  texts *with* replacement instead: about 37% of each replicate repeats other rows, TwoNN must drop
  the repeats (changing m) and IsoScore sees fewer distinct points, so its replicates are shifted.
* **From the halves' spread to the full estimator's.** Var(delta) = Var(theta_{m/2}) / 2, so
  Var(theta_m) = 2 Var(delta) / r with r = Var(theta_{m/2}) / Var(theta_m). For a variance falling
  as 1/m, r = 2 and q_c(|delta|) is the half-width as it stands (the scheme before r was estimated
  assumed that). In the regime of use it is not: IsoScore of an isotropic Gaussian in 40 dims has
  r = 1.47 at m/n = 2.5 (n the dimensions) and 2.1 at m/n = 5, and r grows towards 4 as m/n grows
  (its first-order term vanishes); with a spectrum 1..0.3 it is 1.19 at m/n = 2.5; TwoNN's is 1.8-2.0
  (Monte Carlo variances, ``benchmarks/results/bootstrap_coverage.md``). Assuming 2 made IsoScore's
  intervals at m/n = 2.5 0.72-0.84 times the true spread (coverage 0.875-0.91); the estimated
  ratio gives 0.99-1.17 (coverage 0.963), and TwoNN's stay at 0.99-1.01.
* **The ratio is estimated one halving down.** E[eps^2] / E[delta^2] = Var(theta_{m/4}) /
  Var(theta_{m/2}), the ratio between quarters and halves; using it for halves against all rows
  assumes a power law Var(theta_k) ~ k^-a over m/4..m, exact for any a (a statistic whose variance
  falls as 1/m^2 gets r_hat = 4, one whose variance does not fall gets 1). Mean squares, not
  variances, because the means are exactly zero. The quarters are nested in the halves, so the two
  mean squares share most of their sampling noise and the ratio is steadier than from separate
  splits. Where the local exponent grows with m, as for IsoScore at m/n of a few (at m/n = 2.5 its
  quarters hold fewer rows than dimensions, where the variance barely falls), r_hat is below r and
  the interval is wider than needed rather than narrow (1.17-1.18 times the true spread for an
  isotropic Gaussian at m/n = 2.5 and 5, coverage 0.96-0.99). The trend could be extrapolated from
  eighths as well, but that needs a third, noisier variance (about 0.4 sd on r_hat at R = 200 in a
  trial at m/n = 2.5) and rows fewer still. Clipping: r < 1 would be a variance growing with m, r > 4 one
  falling faster than 1/m^2; the clip bounds the rescaling to sqrt(2 / r) in [0.71, 1.41].
* **Fallback**: where the quarters would hold fewer than ``MIN_QUARTER_ROWS`` (10) rows, i.e.
  m < 40, they are not drawn, and where fewer than ``MIN_RATIO_SPLITS`` (20) splits give finite
  halves and quarters, r = 2 is assumed; every :class:`Interval` records the ratio it used
  (``variance_ratio``) and the estimate before clipping (``variance_ratio_raw``, nan when assumed).
* **Why split-half, not plain half-sampling** (the spread of theta(S_r) around its mean, the first
  scheme evaluated): that matches the spread only for asymptotically linear statistics. A
  half-sample's TwoNN behaves largely as a fresh estimate at size m/2, so its spread around the full
  estimate is close to that of theta_{m/2}, up to twice the variance of theta_m. Measured when the
  scheme was chosen (100 synthetic datasets of m = 400 per case), half-sampling intervals for TwoNN
  were 1.16-1.32 times too wide (coverage 0.96-0.99), split-half ones 0.93-1.04 times the true
  spread. Resampling the per-point ratios mu_i computed on all rows ignores the dependence between
  neighbouring points' ratios: 0.76-0.84 times too narrow (coverage 0.86-0.88). The with-replacement
  percentile bootstrap covered none of the expectations for IsoScore of an isotropic cloud (the shift
  described above).
* **Paired.** One split serves every cloud, so a difference between prompt types is a statistic of
  the same texts; the text-to-text variation common to both cancels, which is why such differences
  are much better determined than either cloud's own value.

Limitations. The interval is symmetric about the estimate (skewness is not modelled). The power law
is extrapolated one halving: where the variance's exponent changes between m/4 and m the width is
off by sqrt(r / r_hat) (IsoScore at m/n = 2.5-5: wider than needed, see the coverage table). With R
splits q_c and r_hat are themselves estimated: R = 200 (default) or more for 95% intervals.
Measured coverage is in ``tests/estimators/test_bootstrap.py`` and ``benchmarks/results/bootstrap_coverage.md``.

Computation
-----------
Per cloud, one neighbour computation (:class:`~mteb_redundancy.estimators.neighbours.NeighbourLists`,
the core TwoNN itself uses) lists each distinct point's nearest distinct neighbours on all rows, at
least ``n_neighbors`` (default 32) and 5 times the most any requested estimator needs (a quarter
holds a fourth of the points):

* **Neighbour-based estimators** (TwoNN, MLE, a plugin's): in a half or quarter, each kept point's k nearest
  neighbours are the first k kept points of its list; a point whose list runs out (chance about 3e-8
  for TwoNN at 32 entries in a half, 1e-3 in a quarter) or whose k-th neighbour lies beyond its certified safe radius is searched
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
  the second halves follow from G1 - Gw (and one column for the row left out when m is odd). The
  quarters cost two more: Q1 and Q3 directly, Q2 and Q4 from their half in the same way.
* **Any other estimator** (no neighbours, e.g. lPCA) is computed on each half's and quarter's rows.

Other statistics can be passed as ``(name, function)`` pairs; they are computed directly on each
half and quarter (slow path).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
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
    "covers",
    "format_interval",
    "paired_bootstrap",
    "quarter_masks",
    "split_masks",
    "twonn_from_distances",
]

SCHEME = "paired random split-half"
"""Name of the resampling scheme recorded in every :class:`BootstrapResult`."""

DEFAULT_DISCARD_FRACTION = 0.1
DEFAULT_N_NEIGHBORS = 32

# The variance ratio r = Var(theta_{m/2}) / Var(theta_m) (module docstring: scheme): assumed where
# it cannot be estimated, and the estimate is clipped to RATIO_RANGE: r < 1 would mean a variance
# that grows with m, r > 4 one that falls faster than 1/m^2 (the degenerate case).
ASSUMED_RATIO = 2.0
RATIO_RANGE = (1.0, 4.0)
# Quarters are drawn when each has at least this many rows (m >= 40), and the ratio is estimated
# from at least this many splits with finite halves.
MIN_QUARTER_ROWS = 10
MIN_RATIO_SPLITS = 20

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
    """A point estimate with an interval ``[low, high]`` for the expectation of the estimate at the
    number of rows it was computed on (module docstring: what the interval covers).

    ``variance_ratio`` is the ratio r = Var(theta_{m/2}) / Var(theta_m) the half-width was scaled
    with (sqrt(2 / r)); ``variance_ratio_raw`` its estimate from the quarters before clipping to
    :data:`RATIO_RANGE`, nan where it was not estimated and :data:`ASSUMED_RATIO` was used.
    """

    estimate: float
    low: float
    high: float
    variance_ratio: float = 2.0
    variance_ratio_raw: float = float("nan")

    @property
    def width(self) -> float:
        return self.high - self.low

    @property
    def ratio_estimated(self) -> bool:
        """Whether the variance ratio came from the data (quarters) rather than the assumed 2."""
        return math.isfinite(self.variance_ratio_raw)

    def contains(self, value: float) -> bool:
        """Whether ``low <= value <= high``."""
        return bool(self.low <= value <= self.high)

    def to_dict(self) -> dict[str, float | None]:
        """``{"estimate", "low", "high", "variance_ratio", "variance_ratio_raw"}``; non-finite values
        become ``None`` (JSON-safe; a raw ratio of None means the ratio 2 was assumed)."""
        return {
            "estimate": _json_float(self.estimate),
            "low": _json_float(self.low),
            "high": _json_float(self.high),
            "variance_ratio": _json_float(self.variance_ratio),
            "variance_ratio_raw": _json_float(self.variance_ratio_raw),
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
    quarter_size : int
        Rows per quarter (floor(b / 2)); 0 when m is too small for quarters (fewer than
        ``MIN_QUARTER_ROWS`` rows each), and the variance ratio 2 is then assumed.
    n_distinct : dict
        Distinct rows per cloud (the N of TwoNN on all rows; only TwoNN drops duplicates).
    n_exact_fallbacks : dict
        Per cloud, the (point, half) pairs whose two neighbours came from the exact search rather
        than the precomputed lists (0 is usual).
    n_failed : dict
        ``n_failed[cloud][statistic]``: splits left out because a half gave no finite value.
    replicates : dict
        ``replicates[cloud][statistic]``: ndarray (n_resamples, 6), the statistic on S_r, S'_r and
        the quarters Q1, Q2 (splitting S_r), Q3, Q4 (splitting S'_r) of :func:`quarter_masks`; the
        quarter columns are nan when ``quarter_size`` is 0.

    Every :class:`Interval` covers the expectation of its estimate at m rows (``n_points``) and
    records the variance ratio its half-width used.
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
    quarter_size: int
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
            "quarter_size": self.quarter_size,
            "covers": covers(self.confidence, self.n_points),
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


def covers(confidence: float, n_points: int) -> str:
    """What an interval of this module covers, e.g. ``"95% interval for the expectation at m = 1000"``
    (the expectation of the estimate over samples of m texts, not the population value)."""
    return f"{100 * confidence:g}% interval for the expectation at m = {int(n_points)}"


def format_interval(result: BootstrapResult, cloud: str, statistic: str = "twonn", *, digits: int | None = None) -> str:
    """E.g. ``"query: ID 34.7 (95% interval for the expectation at m = 1000: 33.9..35.5)"``."""
    iv = result.interval(cloud, statistic)
    label, d = _label_and_digits(statistic, digits)
    what = covers(result.confidence, result.n_points)
    return f"{cloud}: {label} {_fmt(iv.estimate, d)} ({what}: {_fmt(iv.low, d)}..{_fmt(iv.high, d)})"


def format_difference(
    result: BootstrapResult, a: str, b: str, statistic: str = "twonn", *, digits: int | None = None
) -> str:
    """A sentence on the paired difference ``a - b``.

    E.g. ``"classification vs query: ID lower by 3.1 (95% interval for the expectation at m = 1000:
    2.4..3.9)"``: the amount and the interval are both expressed in the direction of the estimate
    (for "lower by", the interval of b - a). ``", includes 0"`` is added when the interval contains
    0. ``digits`` defaults to 1 for the ID, 4 for IsoScore and 3 otherwise.
    """
    iv = result.difference(a, b, statistic)
    label, d = _label_and_digits(statistic, digits)
    what = covers(result.confidence, result.n_points)
    if not (math.isfinite(iv.estimate) and math.isfinite(iv.low) and math.isfinite(iv.high)):
        return f"{a} vs {b}: {label} difference undefined"
    if iv.estimate == 0.0 and iv.low == 0.0 and iv.high == 0.0:
        return f"{a} vs {b}: {label} no different (difference 0, {what}: 0..0)"
    if iv.estimate < 0:
        word, amount, low, high = "lower", -iv.estimate, -iv.high, -iv.low
    else:
        word, amount, low, high = "higher", iv.estimate, iv.low, iv.high
    note = ", includes 0" if iv.contains(0.0) else ""
    return f"{a} vs {b}: {label} {word} by {_fmt(amount, d)} ({what}: {_fmt(low, d)}..{_fmt(high, d)}{note})"


# --------------------------------------------------------------------------------------------
# Small pieces
# --------------------------------------------------------------------------------------------


def _variance_ratio(replicates: np.ndarray) -> float:
    """r_hat = Var(delta_quarter) / Var(delta_half) from the columns (S, S', Q1..Q4);
    nan when there are no quarter columns, too few finite splits, or no spread between the halves."""
    if replicates.shape[1] < 6:
        return float("nan")
    half = (replicates[:, 0] - replicates[:, 1]) / 2.0
    quarter = np.concatenate([replicates[:, 2] - replicates[:, 3], replicates[:, 4] - replicates[:, 5]]) / 2.0
    half = half[np.isfinite(half)]
    quarter = quarter[np.isfinite(quarter)]
    if half.size < MIN_RATIO_SPLITS or quarter.size < 2 * MIN_RATIO_SPLITS:
        return float("nan")
    # E[delta] = 0 exactly (equal disjoint sets), so the mean square is the variance
    v_half = float(np.mean(half * half))
    if not (v_half > 0.0 and math.isfinite(v_half)):
        return float("nan")
    return float(np.mean(quarter * quarter)) / v_half


def _split_half_interval(estimate: float, replicates: np.ndarray, confidence: float) -> Interval:
    """estimate -/+ sqrt(2 / r) times the confidence-quantile of |theta(S) - theta(S')| / 2 over the
    finite splits; r the clipped quarter-to-half variance ratio, or ASSUMED_RATIO without quarters."""
    replicates = np.asarray(replicates, dtype=np.float64)
    delta = np.abs(replicates[:, 0] - replicates[:, 1]) / 2.0
    delta = delta[np.isfinite(delta)]
    estimate = float(estimate)
    raw = _variance_ratio(replicates)
    used = min(max(raw, RATIO_RANGE[0]), RATIO_RANGE[1]) if math.isfinite(raw) else ASSUMED_RATIO
    if delta.size < 2 or not math.isfinite(estimate):
        return Interval(estimate, float("nan"), float("nan"), used, raw)
    q = float(np.quantile(delta, confidence)) * math.sqrt(2.0 / used)
    return Interval(estimate, estimate - q, estimate + q, used, raw)


def twonn_from_distances(r1: np.ndarray, r2: np.ndarray, discard_fraction: float = DEFAULT_DISCARD_FRACTION) -> float:
    """TwoNN from each point's nearest and second-nearest distances (docs/methods.md: TwoNN), by the
    one fit (:func:`~mteb_redundancy.estimators.twonn.twonn_fit`); nan where that fit is degenerate
    (fewer than 2 ratios kept, or all kept ratios 1): a half that gives nan counts as a failed split."""
    try:
        return twonn_fit(r1, r2, discard_fraction)[0]
    except DegenerateFitError:
        return float("nan")


def _permutations(m: int, R: int, seed: int):
    rng = np.random.default_rng(seed)
    for _ in range(R):
        yield rng.permutation(m)


def split_masks(n_points: int, n_resamples: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The random splits :func:`paired_bootstrap` uses.

    Returns two bool arrays (n_points, n_resamples): column r of the first marks S_r, of the second
    S'_r; both have floor(n_points / 2) rows and are disjoint (for odd n_points one row is in
    neither). Split r takes the first and second halves of ``rng.permutation(n_points)``, with
    ``rng = numpy.random.default_rng(seed)`` drawn in order r = 0, 1, ...
    """
    m, R = int(n_points), int(n_resamples)
    b = m // 2
    first = np.zeros((m, R), dtype=bool)
    second = np.zeros((m, R), dtype=bool)
    for r, order in enumerate(_permutations(m, R, seed)):
        first[order[:b], r] = True
        second[order[b : 2 * b], r] = True
    return first, second


def quarter_masks(n_points: int, n_resamples: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The quarters of :func:`split_masks`' halves, from the same permutations (no new draw).

    Returns four bool arrays (n_points, n_resamples) of c = floor(floor(n_points / 2) / 2) rows per
    column: the first two split S_r (the first and second c of its rows in the permutation's order),
    the last two split S'_r in the same way; for an odd half one of its rows is in neither quarter.
    """
    m, R = int(n_points), int(n_resamples)
    b = m // 2
    c = b // 2
    masks = np.zeros((4, m, R), dtype=bool)
    for r, order in enumerate(_permutations(m, R, seed)):
        for k, start in enumerate((0, c, b, b + c)):
            masks[k, order[start : start + c], r] = True
    return masks[0], masks[1], masks[2], masks[3]


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


def _cloud_pass(X: np.ndarray, halves: tuple[np.ndarray, ...]) -> np.ndarray:
    """IsoScore of all rows followed by those of the R sets of each mask in ``halves`` in turn (the
    split masks first, second and optionally the quarters q1, q2, q3, q4 of :func:`quarter_masks`;
    length 1 + 2R, or 1 + 6R with quarters), from one blocked pass over the Gram matrix of the
    centred rows."""
    m, n = X.shape
    Xc = X - X.mean(axis=0)
    sq = np.einsum("ij,ij->i", Xc, Xc)
    block = max(1, min(m, _BLOCK_ELEMENTS // m))

    first, second = halves[:2]
    quarters = halves[2:]
    R = first.shape[1]
    # the row left out of split r when m is odd (first and second are then not complements)
    left = np.argmax(~(first | second), axis=0) if m % 2 else None
    full = _IsoAccumulator(1)
    accs = [_IsoAccumulator(R) for _ in halves]
    if quarters:
        # per half, the quarter of it computed directly and its sibling (the rest of the half,
        # less one row when the half is odd), as the second half follows from the first
        q_left = [
            np.argmax(parent & ~(a | b), axis=0) if int(parent[:, 0].sum()) % 2 else None
            for parent, a, b in ((first, quarters[0], quarters[1]), (second, quarters[2], quarters[3]))
        ]

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
            accs[0].add(cols, W[start:stop], GW, HW)
            # second half = 1 - first - (row left out): G w' = G 1 - G w - G e_left
            GW2 = g1 - GW
            HW2 = h1 - HW
            if left is not None:
                GW2 -= G[:, left[cols]]
                HW2 -= H[:, left[cols]]
            accs[1].add(cols, second[start:stop, cols].astype(np.float64), GW2, HW2)
            for k, (GWp, HWp) in enumerate(((GW, HW), (GW2, HW2)) if quarters else ()):
                Wq = quarters[2 * k][:, cols].astype(np.float64)
                GWq = G @ Wq
                HWq = H @ Wq
                accs[2 + 2 * k].add(cols, Wq[start:stop], GWq, HWq)
                GWq = GWp - GWq
                HWq = HWp - HWq
                if q_left[k] is not None:
                    GWq -= G[:, q_left[k][cols]]
                    HWq -= H[:, q_left[k][cols]]
                accs[3 + 2 * k].add(cols, quarters[2 * k + 1][start:stop, cols].astype(np.float64), GWq, HWq)
        del G, H

    return np.concatenate([
        np.atleast_1d(full.isoscore(np.array([sq.sum()]), np.array([float(m)]), n)),
        *(np.atleast_1d(acc.isoscore(sq @ mask, mask.sum(axis=0).astype(np.float64), n)) for acc, mask in zip(accs, halves)),
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


def _checked_arguments(
    clouds: Any, statistics: Sequence[Any], n_resamples: int, seed: Any, confidence: float,
    discard_fraction: float, n_neighbors: int,
) -> tuple[list[str], list[tuple[str, Estimator]], int, float]:
    """The cloud names, the parsed statistics, R and the confidence, each argument checked before any
    work."""
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
    return names, parsed, R, confidence


def _shared_row_count(clouds: Mapping[str, Any], names: list[str]) -> int:
    """The number of rows every cloud has (at least 8: 4 per half)."""
    shapes = {name: np.shape(clouds[name]) for name in names}
    n_rows = {shape[0] if len(shape) else None for shape in shapes.values()}
    if len(n_rows) != 1:
        raise ValueError(f"All clouds must share their rows (same number of rows), got shapes {shapes}.")
    m = next(iter(n_rows))
    if m is None or m < 8:
        raise ValueError(f"Split-half intervals need at least 8 rows (4 per half), got shapes {shapes}.")
    return m


def _split_values(
    X: np.ndarray, lists: NeighbourLists | None, parsed: list[tuple[str, Estimator]], masks: tuple[np.ndarray, ...],
    R: int,
) -> tuple[dict[str, tuple[float, np.ndarray]], int]:
    """Per statistic, its value on all rows and on every half and quarter (an (R, 6) array: columns
    S, S', then the quarters Q1..Q4, nan when not drawn), and the exact-search fallbacks needed."""
    iso_values = _cloud_pass(X, masks) if any(est is _ISOSCORE for _, est in parsed) else None
    fallbacks = 0
    values: dict[str, tuple[float, np.ndarray]] = {}
    for stat, estimator in parsed:
        sets = np.full((R, 6), np.nan)
        if estimator is _ISOSCORE:  # IsoScore's splits come at once from the Gram matrix
            full = float(iso_values[0])
            sets[:, : len(masks)] = iso_values[1:].reshape(len(masks), R).T
        elif estimator.on_rows is not None:  # the estimator's own per-subset path, set up once per cloud
            full = _value(estimator, X, lists, None)[0]
            on_rows = estimator.on_rows(X)
            for h, mask in enumerate(masks):
                for r in range(R):
                    try:
                        sets[r, h] = on_rows(mask[:, r])
                    except ValueError:
                        sets[r, h] = np.nan  # a degenerate subset: a failed split, as in _value
        else:
            full, count = _value(estimator, X, lists, None)
            fallbacks += count
            for h, mask in enumerate(masks):
                for r in range(R):
                    sets[r, h], count = _value(estimator, X, lists, mask[:, r])
                    fallbacks += count
        values[stat] = (full, sets)
    return values, fallbacks


def _measure_clouds(
    clouds: Mapping[str, Any], names: list[str], parsed: list[tuple[str, Estimator]], masks: tuple[np.ndarray, ...],
    R: int, confidence: float, n_neighbors: int, neighbour_lists: Mapping[str, NeighbourLists] | None,
) -> tuple[dict, dict, dict[str, int], dict[str, int], dict]:
    """Per cloud: the intervals, the split values, the distinct points, the exact-search fallbacks and
    the failed splits of every statistic."""
    estimates: dict[str, dict[str, Interval]] = {}
    replicates: dict[str, dict[str, np.ndarray]] = {}
    n_distinct: dict[str, int] = {}
    fallbacks: dict[str, int] = {}
    failed: dict[str, dict[str, int]] = {}
    # one neighbour computation per cloud serves every estimator, half and quarter; lists long enough
    # that a quarter almost always finds an estimator's k present neighbours in them
    k_max = max((est.n_neighbors for _, est in parsed), default=0)
    n_list = max(int(n_neighbors), 5 * k_max)
    for name in names:
        X = _as_cloud(clouds[name], name)
        lists = (neighbour_lists or {}).get(name)
        if k_max and (lists is None or lists.X.shape != X.shape):
            lists = NeighbourLists(X, n_list)
        values, fallbacks[name] = _split_values(X, lists, parsed, masks, R)
        n_distinct[name] = lists.n_distinct if lists is not None else int(distinct_groups(X)[0].size)
        estimates[name] = {
            stat: _split_half_interval(full, sets, confidence) for stat, (full, sets) in values.items()
        }
        replicates[name] = {stat: sets for stat, (_, sets) in values.items()}
        failed[name] = {
            stat: int((~np.isfinite(sets[:, :2]).all(axis=1)).sum()) for stat, (_, sets) in values.items()
        }
    return estimates, replicates, n_distinct, fallbacks, failed


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
    of the rows into two disjoint halves, each half split again into two quarters, the same splits
    for every cloud; each interval is the estimate on all rows -/+ the ``confidence``-quantile of
    half the difference between the halves, times sqrt(2 / r_hat), r_hat the variance ratio
    estimated from the quarters. It covers the expectation of the estimate at m rows.

    Parameters
    ----------
    clouds : mapping of name to array (m, n_dims)
        Point clouds whose row i is the same text in all of them (same m, at least 8; widths may
        differ). float32 is accepted; arithmetic is float64.
    n_resamples : int, default 200
        Random splits R (at least 2; 200 or more for 95% intervals; the variance ratio is estimated
        from ``MIN_RATIO_SPLITS`` = 20 or more, else 2 is assumed).
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
        Neighbours listed per point by the shared core (at least 5 times the most any estimator
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
        Per cloud and statistic an :class:`Interval` (with the variance ratio it used); paired
        differences; the scheme, n_resamples, seed, confidence, rows per half and per quarter.
    """
    names, parsed, R, confidence = _checked_arguments(
        clouds, statistics, n_resamples, seed, confidence, discard_fraction, n_neighbors
    )
    m = _shared_row_count(clouds, names)
    b = m // 2
    c = b // 2 if b // 2 >= MIN_QUARTER_ROWS else 0
    masks = split_masks(m, R, int(seed)) + (quarter_masks(m, R, int(seed)) if c else ())
    estimates, replicates, n_distinct, fallbacks, failed = _measure_clouds(
        clouds, names, parsed, masks, R, confidence, n_neighbors, neighbour_lists
    )
    result = BootstrapResult(
        estimates=estimates, differences={}, statistics=tuple(stat for stat, _ in parsed), scheme=SCHEME,
        n_resamples=R, seed=int(seed), confidence=confidence, n_points=m, subsample_size=b, quarter_size=c,
        n_distinct=n_distinct, n_exact_fallbacks=fallbacks, n_failed=failed, replicates=replicates,
    )
    for i, a in enumerate(names):
        for other in names[i + 1 :]:
            result.differences[(a, other)] = {stat: result.difference(a, other, stat) for stat in result.statistics}
    return result
