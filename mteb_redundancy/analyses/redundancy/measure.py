"""Redundancy per prompt type (Tsukagoshi & Sasano 2025, section 3; docs/methods.md). No MTEB import.

A model embeds one corpus under each prompt type: retrieval query, retrieval document,
classification, clustering, and none. Where a prompt style has several instructions per type (one per
task of Tsukagoshi & Sasano's Table 3), each is measured and the type's figure is their mean. Measures: TwoNN
intrinsic dimension and IsoScore (with the IsoScore of an isotropic Gaussian at the same (m, n) as a
baseline, since IsoScore depends strongly on m), at full dimension and at reduced dimensions d.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache

import numpy as np

from mteb_redundancy.estimators import gaussian_isoscore_baseline, isoscore, twonn
from mteb_redundancy.models.reduction import Reducer


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
    twonn: float
    isoscore: float
    n_points: int
    n_dims: int
    n_duplicates_dropped: int
    gaussian_isoscore: float


def measure(X: np.ndarray, *, discard_fraction: float = 0.1, baseline_seed: int = 0) -> Measures:
    """TwoNN ID and IsoScore of one point cloud, with the Gaussian IsoScore at the same (m, n)."""
    result = twonn(X, discard_fraction=discard_fraction)
    m, n = X.shape
    return Measures(
        twonn=float(result.dimension),
        isoscore=float(isoscore(X)),
        n_points=m,
        n_dims=n,
        n_duplicates_dropped=int(result.n_duplicates_dropped),
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
) -> list[dict]:
    """The same measures after reducing ``X`` to each d (Tsukagoshi & Sasano (2025) links redundancy to how far d can be cut)."""
    rows = []
    for d in dims:
        # The full dimension goes through the same rule as every other d (a PCA rotation, re-normalisation),
        # so that a curve's last point is comparable with the others.
        reduced = Reducer(reduction, d, normalize=normalize, seed=seed).fit_transform(X)
        rows.append({"d": int(d), **asdict(measure(reduced))})
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
        twonn=float(np.mean([m.twonn for m in ms])),
        isoscore=float(np.mean([m.isoscore for m in ms])),
        n_points=ms[0].n_points,
        n_dims=ms[0].n_dims,
        n_duplicates_dropped=max(m.n_duplicates_dropped for m in ms),
        gaussian_isoscore=ms[0].gaussian_isoscore,
    )


def to_scores(results: Sequence[PromptTypeResult], *, n_texts: int, n_duplicate_texts_dropped: int, main_prompt_type: str) -> dict:
    """MTEB scores: flat ``twonn_<type>``/``isoscore_<type>`` columns for tables, details nested."""
    if main_prompt_type not in {r.prompt_type for r in results}:
        raise ValueError(f"The main prompt type {main_prompt_type!r} is not among the measured ones; set main_prompt_type.")
    scores: dict = {
        "n_texts": n_texts,
        "n_duplicate_texts_dropped": n_duplicate_texts_dropped,
        "main_prompt_type": main_prompt_type,
    }
    for result in results:
        scores[f"twonn_{result.prompt_type}"] = result.measures.twonn
        scores[f"isoscore_{result.prompt_type}"] = result.measures.isoscore
    scores["prompt_types"] = {
        r.prompt_type: {**asdict(r.measures), "per_instruction": r.per_instruction, "by_dimension": r.by_dimension}
        for r in results
    }
    scores["main_score"] = scores[f"twonn_{main_prompt_type}"]
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
