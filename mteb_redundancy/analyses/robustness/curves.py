"""Size curves: the redundancy statistics per prompt type against the number of texts m. Pure: no MTEB import.

The texts of one corpus are embedded once per prompt; every m takes the first m rows of one seeded
permutation (so each smaller set lies inside every larger one: nested subsamples) and computes, on
those rows only, each prompt type's statistics and the paired differences between types with the
paired random split-half intervals of ``estimators.bootstrap`` (the same splits for every prompt
type). Nothing is re-encoded per m.

What an interval covers: the expectation of the estimate at that m, on that corpus. TwoNN's bias
and IsoScore's level both change with m, so the curve shows how far a figure, and a difference
between prompt types, depends on the number of texts; no point of it is the population value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mteb_redundancy.analyses.redundancy.uncertainty import type_uncertainty
from mteb_redundancy.plugins import get_estimator

SUBSAMPLE_SEED = 0


def nested_subsamples(n: int, sizes: Sequence[int], seed: int = SUBSAMPLE_SEED) -> list[np.ndarray]:
    """For each m in ``sizes``, the rows of the first m of one seeded permutation of ``range(n)``,
    in increasing order (so m = n gives the rows as they are, and its intervals those of the
    Redundancy task on the same texts and seed)."""
    sizes = [int(m) for m in sizes]
    bad = [m for m in sizes if not 1 <= m <= n]
    if bad:
        raise ValueError(f"Subsample sizes must lie between 1 and the {n} rows; got {bad}.")
    order = np.random.default_rng(seed).permutation(n)
    return [np.sort(order[:m]) for m in sizes]


@dataclass
class SizeCurve:
    """One corpus's curve: per m, the ``type_uncertainty`` dict computed on the first m texts."""

    corpus: str
    n_texts: int
    prompts: dict[str, list[str]]  # prompt type -> its distinct prompts ("{text}" marks the text)
    subsample_seed: int
    points: list[dict[str, Any]] = field(default_factory=list)

    @property
    def sizes(self) -> list[int]:
        return [int(p["n_points"]) for p in self.points]

    def series(self, prompt_type: str, statistic: str) -> list[dict]:
        """``[{"m", "estimate", "low", "high"}, ...]`` of one prompt type and statistic."""
        return [{"m": int(p["n_points"]), **p["prompt_types"][prompt_type][statistic]} for p in self.points]

    def to_dict(self) -> dict[str, Any]:
        return {
            "corpus": self.corpus,
            "n_texts": self.n_texts,
            "prompts": self.prompts,
            "subsample_seed": self.subsample_seed,
            "subsamples": "nested: the first m of one seeded permutation of the texts",
            "points": self.points,
        }


def size_curve(
    clouds: Mapping[str, np.ndarray],
    types: Mapping[str, Sequence[str]],
    sizes: Sequence[int],
    *,
    corpus: str = "",
    estimators: Sequence[str] = ("twonn", "isoscore"),
    n_resamples: int = 200,
    seed: int = 0,
    confidence: float = 0.95,
    subsample_seed: int = SUBSAMPLE_SEED,
    progress=None,
) -> SizeCurve:
    """``clouds``: prompt -> embeddings of the same n texts (row i is text i in every cloud);
    ``types``: prompt type -> its prompts (a type with several is their mean, as in the Redundancy
    task). Returns per m the intervals of each type and the paired differences of every pair of
    types for ``estimators``, all from these arrays. ``progress`` (a tqdm bar) is advanced per m."""
    if not clouds:
        raise ValueError("No point clouds given.")
    n = {np.shape(X)[0] for X in clouds.values()}
    if len(n) != 1:
        raise ValueError(f"Every prompt's cloud must hold the same texts; got row counts {sorted(n)}.")
    n = n.pop()
    curve = SizeCurve(corpus, n, {t: list(keys) for t, keys in types.items()}, subsample_seed)
    for m, rows in zip(sizes, nested_subsamples(n, sizes, subsample_seed)):
        result = type_uncertainty({key: X[rows] for key, X in clouds.items()}, types,
                                  n_resamples=n_resamples, seed=seed, confidence=confidence,
                                  estimators=[get_estimator(name) for name in estimators])
        curve.points.append(_keep(result, estimators))
        if progress is not None:
            progress.update(1)
    return curve


def _keep(result: dict[str, Any], estimators: Sequence[str]) -> dict[str, Any]:
    """The intervals of ``estimators`` only (the interval code may compute more)."""
    computed = set(next(iter(result["prompt_types"].values())))
    missing = [e for e in estimators if e not in computed]
    if missing:
        raise ValueError(f"The paired intervals do not compute {missing}; they compute {sorted(computed)}.")
    kept = dict(result)
    kept["prompt_types"] = {t: {e: stats[e] for e in estimators} for t, stats in result["prompt_types"].items()}
    kept["differences"] = [{"a": d["a"], "b": d["b"], **{e: d[e] for e in estimators}} for d in result["differences"]]
    kept["estimators"] = list(estimators)
    return kept
