"""The decisions of ``recommend``, as pure functions (numpy and the standard library, no MTEB):
relative score, the Pareto front of bytes against score, the smallest configuration that keeps a
fraction of the full score, the d at which a curve stays above that fraction, and a rank correlation
with its intervals."""

from __future__ import annotations

import math
from collections.abc import Sequence
from statistics import NormalDist

import numpy as np


def check_keep(keep: float) -> float:
    """``keep`` as a float in (0, 1]; ``ValueError`` otherwise."""
    try:
        value = float(keep)
    except (TypeError, ValueError):
        raise ValueError(f"--keep must be a number in (0, 1], e.g. 0.99; got {keep!r}.") from None
    if not (0 < value <= 1) or math.isnan(value):
        raise ValueError(f"--keep must be in (0, 1] (a fraction of the full-dimension float32 score, e.g. 0.99); got {keep!r}.")
    return value


RELATIVE_SCORES = ("plain", "chance")


def relative_scores(scores: Sequence[float], full_score: float, chance: float = 0.0) -> np.ndarray:
    """``(score - chance) / (full_score - chance)``: with ``chance`` 0 (the plain relative score) the
    fraction of the full score, otherwise the fraction of the full score's gain over the chance level
    (docs/methods.md: recommend). NaN where the full score does not exceed the chance level (no fraction
    of it is meaningful)."""
    scores = np.asarray(scores, dtype=np.float64)
    chance = float(chance)
    if not full_score > chance:
        return np.full(scores.shape, np.nan)
    return (scores - chance) / (float(full_score) - chance)


def _pair(costs: Sequence[float], values: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    costs = np.asarray(costs, dtype=np.float64)
    values = np.asarray(values, dtype=np.float64)
    if costs.shape != values.shape:
        raise ValueError(f"costs and values differ in length: {costs.shape} and {values.shape}.")
    return costs, values


def pareto_front(costs: Sequence[float], values: Sequence[float]) -> np.ndarray:
    """A boolean mask of the points no other point beats: none has a cost as low and a value as high,
    one of them strictly. Costs are minimised, values maximised; NaN values are never on the front."""
    costs, values = _pair(costs, values)
    front = np.zeros(len(costs), dtype=bool)
    for i in range(len(costs)):
        if np.isnan(values[i]):
            continue
        others = ~np.isnan(values)
        better = others & (costs <= costs[i]) & (values >= values[i]) & ((costs < costs[i]) | (values > values[i]))
        front[i] = not better.any()
    return front


def smallest_meeting(costs: Sequence[float], values: Sequence[float], keep: float) -> int | None:
    """The index of the cheapest point whose value is at least ``keep`` (ties: the higher value, then
    the first); ``None`` when no point meets it."""
    costs, values = _pair(costs, values)
    meeting = [i for i in range(len(costs)) if not np.isnan(values[i]) and values[i] >= keep]
    if not meeting:
        return None
    return min(meeting, key=lambda i: (costs[i], -values[i], i))


def threshold_dim(dims: Sequence[int], fractions: Sequence[float], keep: float) -> int | None:
    """The smallest d from which on the curve never falls below ``keep`` (``fractions`` are values
    relative to the full dimension's, one per d). ``None`` if even the largest d is below it."""
    order = np.argsort(np.asarray(dims))
    dims = [int(dims[i]) for i in order]
    fractions = [float(fractions[i]) for i in order]
    chosen = None
    for d, value in zip(reversed(dims), reversed(fractions)):
        if math.isnan(value) or value < keep:
            break
        chosen = d
    return chosen


def _ranks(x: np.ndarray) -> np.ndarray:
    """Ranks 1..n, ties given their average rank."""
    order = np.argsort(x, kind="mergesort")
    ranks = np.empty(len(x), dtype=np.float64)
    sorted_x = x[order]
    i = 0
    while i < len(x):
        j = i
        while j + 1 < len(x) and sorted_x[j + 1] == sorted_x[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman's rank correlation (Pearson's on average ranks); NaN with fewer than 3 pairs or a
    constant side."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if len(x) != len(y):
        raise ValueError("x and y must have the same length.")
    if len(x) < 3:
        return float("nan")
    rx, ry = _ranks(x), _ranks(y)
    rx -= rx.mean()
    ry -= ry.mean()
    denominator = math.sqrt(float(rx @ rx) * float(ry @ ry))
    return float(rx @ ry / denominator) if denominator > 0 else float("nan")


def fisher_interval(r: float, n: int, level: float = 0.95) -> tuple[float, float]:
    """The interval of a Spearman correlation from Fisher's z with the standard error
    sqrt(1.06 / (n - 3)) of Fieller, Hartley & Pearson (1957); NaN for n <= 3 or an undefined r."""
    if n <= 3 or math.isnan(r):
        return float("nan"), float("nan")
    r = min(max(r, -0.999999), 0.999999)
    z = math.atanh(r)
    half = NormalDist().inv_cdf(0.5 + level / 2) * math.sqrt(1.06 / (n - 3))
    return math.tanh(z - half), math.tanh(z + half)


def bootstrap_interval(
    x: Sequence[float], y: Sequence[float], *, groups: Sequence | None = None, level: float = 0.95,
    n_resamples: int = 2000, seed: int = 0,
) -> tuple[float, float]:
    """A percentile bootstrap interval of Spearman's correlation (seeded), resampling pairs with
    replacement or, with ``groups``, whole groups (a cluster bootstrap: the pairs of one task are not
    independent of each other). Resamples where it is undefined (a constant side) are skipped. NaN with
    fewer than 4 pairs or groups, or when most resamples are undefined."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if groups is None:
        groups = range(len(x))
    labels = list(dict.fromkeys(groups))
    members = [np.flatnonzero([g == label for g in groups]) for label in labels]
    if len(x) < 4 or len(members) < 4:
        return float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(n_resamples):
        index = np.concatenate([members[i] for i in rng.integers(0, len(members), size=len(members))])
        r = spearman(x[index], y[index])
        if not math.isnan(r):
            values.append(r)
    if len(values) < n_resamples / 2:
        return float("nan"), float("nan")
    low, high = np.quantile(values, [(1 - level) / 2, (1 + level) / 2])
    return float(low), float(high)
