"""Redundancy per prompt type (Tsukagoshi & Sasano 2025, section 3; docs/methods.md). No MTEB import.

A model embeds one corpus under each prompt type: retrieval query, retrieval document,
classification, clustering, and none. Where a prompt style has several instructions per type (one per
task of Tsukagoshi & Sasano's Table 3), each is measured and the type's figure is their mean. Measures:
every registered estimator (``register_estimators``: TwoNN and MLE intrinsic dimension, IsoScore, lPCA,
and any a plugin adds), with the IsoScore of an isotropic Gaussian at the same (m, n) as a baseline
(IsoScore depends strongly on m), at full dimension and at reduced dimensions d. The estimators that
need nearest neighbours share one neighbour computation per cloud.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from mteb_redundancy.estimators._arrays import as_float_matrix
from mteb_redundancy.estimators.isoscore import gaussian_isoscore_baseline
from mteb_redundancy.estimators.neighbours import NeighbourLists, distinct_groups
from mteb_redundancy.estimators.registry import Estimator
from mteb_redundancy.estimators.twonn import twonn_estimator
from mteb_redundancy.models.reduction import Reducer
from mteb_redundancy.plugins import registered_estimators


@dataclass(frozen=True)
class PromptSource:
    """One way a prompt type is realised: the task whose instruction or prefix is used, and the side."""

    prompt_type: str
    task_name: str
    task_type: str
    side: str | None


# Tsukagoshi & Sasano (2025), Table 3: the tasks whose instructions define each prompt type.
_SEED_TASKS = {
    "retrieval_query": (
        "Retrieval",
        "query",
        ("MIRACLRetrievalHardNegatives", "QuoraRetrievalHardNegatives", "HotpotQAHardNegatives",
         "DBPediaHardNegatives", "NQHardNegatives", "MSMARCOHardNegatives"),
    ),
    "retrieval_document": (
        "Retrieval",
        "document",
        ("MIRACLRetrievalHardNegatives", "QuoraRetrievalHardNegatives", "HotpotQAHardNegatives",
         "DBPediaHardNegatives", "NQHardNegatives", "MSMARCOHardNegatives"),
    ),
    "classification": (
        "Classification",
        None,
        ("AmazonCounterfactualClassification", "AmazonPolarityClassification", "AmazonReviewsClassification",
         "ImdbClassification", "ToxicConversationsClassification"),
    ),
    "clustering": (
        "Clustering",
        None,
        ("ArxivClusteringS2S", "RedditClustering", "StackExchangeClustering"),
    ),
}
PROMPT_TYPES = ("retrieval_query", "retrieval_document", "classification", "clustering", "none")
NO_PROMPT_SOURCE = PromptSource("none", "", "", None)


def prompt_sources(prompt_types: Iterable[str] = PROMPT_TYPES) -> list[PromptSource]:
    sources = []
    for prompt_type in prompt_types:
        if prompt_type == "none":
            sources.append(NO_PROMPT_SOURCE)
            continue
        if prompt_type not in _SEED_TASKS:
            raise ValueError(f"Unknown prompt type {prompt_type!r}; choose from {', '.join(PROMPT_TYPES)}.")
        task_type, side, tasks = _SEED_TASKS[prompt_type]
        sources.extend(PromptSource(prompt_type, task, task_type, side) for task in tasks)
    return sources


@dataclass
class Measures:
    """Every estimator's value on one cloud (``values``: name -> value, in registration order),
    with the cloud's size and the Gaussian IsoScore baseline at the same (m, n)."""

    values: dict[str, float]
    n_points: int
    n_dims: int
    n_duplicates_dropped: int
    gaussian_isoscore: float

    def __getattr__(self, name: str) -> float:  # m.twonn, m.mle, ...
        values = self.__dict__.get("values", {})
        if name in values:
            return values[name]
        raise AttributeError(f"{type(self).__name__} has no estimator or field {name!r}; estimators: {list(values)}.")

    def to_dict(self) -> dict:
        """Flat: one key per estimator, then the cloud's size and the baseline (the JSON layout)."""
        return {**self.values, "n_points": self.n_points, "n_dims": self.n_dims,
                "n_duplicates_dropped": self.n_duplicates_dropped, "gaussian_isoscore": self.gaussian_isoscore}


def estimators_for(discard_fraction: float = 0.1, estimators: Sequence[Estimator] | None = None) -> tuple[Estimator, ...]:
    """The estimators to measure: the registered ones (or those given), TwoNN at this discard fraction."""
    chosen = tuple(registered_estimators() if estimators is None else estimators)
    twonn = twonn_estimator(discard_fraction)
    return tuple(twonn if est is twonn_estimator() else est for est in chosen)


def neighbour_lists(X: np.ndarray, estimators: Sequence[Estimator], *, splits: bool = True) -> NeighbourLists | None:
    """The cloud's one neighbour computation, long enough for every estimator on the whole cloud and,
    with ``splits``, on the split halves of its interval (None when no estimator needs neighbours)."""
    k = max((est.n_neighbors for est in estimators), default=0)
    return NeighbourLists(X, max(32, 3 * k) if splits else k) if k else None


def measure(
    X: np.ndarray,
    *,
    discard_fraction: float = 0.1,
    baseline_seed: int = 0,
    estimators: Sequence[Estimator] | None = None,
    lists: NeighbourLists | None = None,
) -> Measures:
    """Every registered estimator on one point cloud, with the Gaussian IsoScore at the same (m, n).

    ``estimators``: a subset to compute (default: all registered); ``lists``: the cloud's neighbour
    lists if already computed (:func:`neighbour_lists`).
    """
    X = as_float_matrix(X, purpose="the redundancy measures")
    chosen = estimators_for(discard_fraction, estimators)
    if lists is None:
        lists = neighbour_lists(X, chosen, splits=False)
    view = lists.view() if lists is not None else None
    values = {
        est.name: float(est.compute(view.points, view) if est.n_neighbors else est.compute(X))
        for est in chosen
    }
    m, n = X.shape
    duplicates = lists.n_duplicates_dropped if lists is not None else m - int(distinct_groups(X)[0].size)
    return Measures(
        values=values,
        n_points=m,
        n_dims=n,
        n_duplicates_dropped=int(duplicates),
        gaussian_isoscore=_gaussian_baseline(m, n, baseline_seed),
    )


@lru_cache(maxsize=64)
def _gaussian_baseline(m: int, n: int, seed: int) -> float:
    # the same (m, n) recurs for every prompt of a corpus
    return float(gaussian_isoscore_baseline(m, n, seed=seed))


def measure_by_dimension(
    X: np.ndarray,
    dims: Sequence[int],
    *,
    reduction: str = "first",
    normalize: bool = True,
    seed: int = 0,
    estimators: Sequence[Estimator] | None = None,
) -> list[dict]:
    """The same measures after reducing ``X`` to each d (Tsukagoshi & Sasano (2025) links redundancy to how far d can be cut).

    ``estimators``: a subset to compute (default: all registered)."""
    rows = []
    for d in dims:
        # The full dimension goes through the same rule as every other d (a PCA rotation, re-normalisation),
        # so that a curve's last point is comparable with the others.
        reduced = Reducer(reduction, d, normalize=normalize, seed=seed).fit_transform(X)
        rows.append({"d": int(d), **measure(reduced, estimators=estimators).to_dict()})
    return rows


@dataclass
class PromptTypeResult:
    prompt_type: str
    measures: Measures
    per_instruction: list[dict] = field(default_factory=list)
    by_dimension: list[dict] = field(default_factory=list)


def summarize(ms: Sequence[Measures]) -> Measures:
    """The mean over a type's distinct prompts (Tsukagoshi & Sasano (2025) averages per type)."""
    return Measures(
        values={name: float(np.mean([m.values[name] for m in ms])) for name in ms[0].values},
        n_points=ms[0].n_points,
        n_dims=ms[0].n_dims,
        n_duplicates_dropped=max(m.n_duplicates_dropped for m in ms),
        gaussian_isoscore=ms[0].gaussian_isoscore,
    )


def to_scores(
    results: Sequence[PromptTypeResult], *, n_texts: int, n_duplicate_texts_dropped: int, main_prompt_type: str,
    main_estimator: str = "twonn",
) -> dict:
    """MTEB scores: a flat ``<estimator>_<type>`` column per estimator and type for tables, details
    nested; ``main_score`` is ``main_estimator`` under ``main_prompt_type``."""
    if main_prompt_type not in {r.prompt_type for r in results}:
        raise ValueError(f"The main prompt type {main_prompt_type!r} is not among the measured ones; set main_prompt_type.")
    scores: dict = {
        "n_texts": n_texts,
        "n_duplicate_texts_dropped": n_duplicate_texts_dropped,
        "main_prompt_type": main_prompt_type,
    }
    for result in results:
        for name, value in result.measures.values.items():
            scores[f"{name}_{result.prompt_type}"] = value
    scores["prompt_types"] = {
        r.prompt_type: {**r.measures.to_dict(), "per_instruction": r.per_instruction, "by_dimension": r.by_dimension}
        for r in results
    }
    if f"{main_estimator}_{main_prompt_type}" not in scores:
        raise ValueError(f"The main estimator {main_estimator!r} was not measured; set main_estimator to a registered one.")
    scores["main_score"] = scores[f"{main_estimator}_{main_prompt_type}"]
    return scores


def deduplicate_texts(texts: Sequence[str]) -> tuple[list[str], int]:
    """Texts in first-seen order without repeats or empty strings, and how many were dropped."""
    seen: set[str] = set()
    kept = []
    for text in texts:
        if text.strip() and text not in seen:
            seen.add(text)
            kept.append(text)
    return kept, len(texts) - len(kept)
