"""Entity retrieval over English Wikipedia leads: the Wikidata description is the query, the lead it
describes the one relevant document. An ordinary MTEB retrieval task, scored by MTEB's evaluator
(nDCG@10)."""

from __future__ import annotations

from typing import Any

import numpy as np
from datasets import Dataset
from mteb.abstasks.retrieval import AbsTaskRetrieval

from mteb_redundancy_tasks.classification import WIKI_COMMON, WIKI_DATASET
from mteb_redundancy_tasks.data import WIKI_ATTRIBUTION, WikiLead, wiki_leads
from mteb_redundancy_tasks.metadata import offline_metadata


def normalized_description(lead: WikiLead) -> str:
    return " ".join(lead.description.split()).casefold()


def answerable_leads(leads: tuple[WikiLead, ...]) -> list[int]:
    """Indices of the leads whose description no other lead shares (compared case- and
    space-insensitively): a description such as "American actor" fits many leads, and a query with
    one right answer among many fitting ones is not a fair test."""
    counts: dict[str, int] = {}
    for lead in leads:
        key = normalized_description(lead)
        counts[key] = counts.get(key, 0) + 1
    return [i for i, lead in enumerate(leads) if (key := normalized_description(lead)) and counts[key] == 1]


class WikiRetrieval(AbsTaskRetrieval):
    metadata = offline_metadata(
        name="WikiRetrieval",
        description=(
            "Given the Wikidata short description of an entity (e.g. 'Natural disaster in Huaxian, China'), "
            "retrieve the English Wikipedia lead section about it from all 10,033 leads (lead text only, no "
            "title). 1,000 queries, a fixed sample (seed 42) of the leads whose description is unique: leads "
            "with an empty description or one shared with another lead ('Family of birds', 'American actor', "
            "compared case-insensitively) are never queries, but stay in the corpus. Each query has exactly "
            "one relevant lead. " + WIKI_ATTRIBUTION
        ),
        dataset=WIKI_DATASET,
        type="Retrieval",
        category="t2t",
        eval_splits=["test"],
        main_score="ndcg_at_10",
        task_subtypes=["Article retrieval"],
        **WIKI_COMMON,
    )
    n_queries = 1000
    query_seed = 42

    def load_data(self, num_proc: int | None = None, **kwargs: Any) -> None:
        if self.data_loaded:
            return
        leads = wiki_leads()
        candidates = answerable_leads(leads)
        rng = np.random.default_rng(self.query_seed)
        chosen = np.sort(rng.choice(candidates, size=min(self.n_queries, len(candidates)), replace=False))
        doc_ids = [f"lead-{i}" for i in range(len(leads))]
        corpus = Dataset.from_dict({"id": doc_ids, "text": [lead.text for lead in leads]})
        queries = Dataset.from_dict(
            {"id": [f"query-{i}" for i in chosen], "text": [leads[i].description for i in chosen]}
        )
        relevant_docs = {f"query-{i}": {doc_ids[i]: 1} for i in chosen}
        self.dataset = {
            "default": {
                "test": {"corpus": corpus, "queries": queries, "relevant_docs": relevant_docs, "top_ranked": None}
            }
        }
        self.data_loaded = True


TASKS = (WikiRetrieval,)
