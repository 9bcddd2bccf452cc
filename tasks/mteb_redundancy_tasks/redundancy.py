"""Redundancy of embeddings on 10,000 English Wikipedia leads (Tsukagoshi & Sasano (2025) section 3), and a small variant."""

from __future__ import annotations

import numpy as np

from mteb_redundancy.analyses.redundancy.measure import deduplicate_texts
from mteb_redundancy.analyses.redundancy.task_type import (
    AbsTaskRedundancy,
    RedundancyMetadata,
)
from mteb_redundancy_tasks.classification import WIKI_COMMON, WIKI_DATASET
from mteb_redundancy_tasks.data import WIKI_ATTRIBUTION, wiki_leads
from mteb_redundancy_tasks.metadata import offline_metadata

SAMPLE_SEED = 0


def wiki_sample(n: int) -> list[str]:
    """``n`` distinct leads: the first ``n`` of one seeded permutation, so the small sample is part of the large."""
    texts, _ = deduplicate_texts([lead.text for lead in wiki_leads()])
    if n > len(texts):
        raise ValueError(f"Only {len(texts)} distinct leads; asked for {n}.")
    order = np.random.default_rng(SAMPLE_SEED).permutation(len(texts))
    return [texts[i] for i in order[:n]]


def _metadata(name: str, n: int, description: str) -> RedundancyMetadata:
    common = {k: v for k, v in WIKI_COMMON.items() if k != "task_subtypes"}
    return offline_metadata(
        RedundancyMetadata,
        name=name,
        description=(
            f"{description} TwoNN intrinsic dimension and IsoScore of {n:,} English Wikipedia leads (deduplicated, "
            f"a seeded sample) embedded under each prompt type: retrieval query, retrieval document, classification, "
            f"clustering, none. Main score: TwoNN ID under the retrieval-query prompt (a measurement, not higher-is-better). "
            + WIKI_ATTRIBUTION
        ),
        dataset=WIKI_DATASET,
        type="Redundancy",
        category="t2t",
        eval_splits=["test"],
        main_score="main_score",
        task_subtypes=[],
        **common,
    )


class RedundancyWiki(AbsTaskRedundancy):
    metadata = _metadata("RedundancyWiki", 10_000, "Tsukagoshi & Sasano's corpus size.")
    n_texts = 10_000

    def load_texts(self) -> list[str]:
        return wiki_sample(self.n_texts)


class RedundancyWikiSmall(RedundancyWiki):
    metadata = _metadata("RedundancyWikiSmall", 1_000, "A quick version of RedundancyWiki (its first 1,000 texts).")
    n_texts = 1_000


TASKS = (RedundancyWiki, RedundancyWikiSmall)
