"""Topic clustering of English Wikipedia leads: an ordinary MTEB clustering task, scored by MTEB's
own evaluator (mini-batch k-means, V-measure)."""

from __future__ import annotations

from typing import Any

from datasets import Dataset, DatasetDict
from mteb.abstasks.clustering import AbsTaskClustering

from mteb_redundancy_tasks.classification import (
    LEFT_OUT_TOPIC,
    WIKI_COMMON,
    WIKI_DATASET,
    WikiTopicClassification,
)
from mteb_redundancy_tasks.data import WIKI_ATTRIBUTION, wiki_leads
from mteb_redundancy_tasks.metadata import offline_metadata
from mteb_redundancy_tasks.splits import stratified_split


class WikiTopicClustering(AbsTaskClustering):
    metadata = offline_metadata(
        name="WikiTopicClustering",
        description=(
            "Cluster English Wikipedia lead sections by topic (11 topics; the 'Uncategorized' leads are left "
            "out). The 2,000 leads are a fixed stratified sample (seed 42), the same leads as "
            "WikiTopicClassification's test split, so that a sweep over both encodes them once. MTEB's "
            "clustering protocol: 10 k-means runs on 1,000 leads drawn (with replacement) from the 2,000, "
            "scored by V-measure. " + WIKI_ATTRIBUTION
        ),
        dataset=WIKI_DATASET,
        type="Clustering",
        category="t2c",
        eval_splits=["test"],
        main_score="v_measure",
        task_subtypes=["Thematic clustering"],
        **WIKI_COMMON,
    )
    sample_size = WikiTopicClassification.test_size
    sample_seed = WikiTopicClassification.split_seed
    # Embed every sampled lead once; each of the n_clusters experiments clusters a draw of this many.
    max_fraction_of_documents_to_embed = None
    max_document_to_embed = None
    max_documents_per_cluster = 1000

    def load_data(self, num_proc: int | None = None, **kwargs: Any) -> None:
        if self.data_loaded:
            return
        leads = [lead for lead in wiki_leads() if lead.topic != LEFT_OUT_TOPIC]
        _, sample = stratified_split([lead.topic for lead in leads], self.sample_size, self.sample_seed)
        self.dataset = DatasetDict(
            {
                "test": Dataset.from_dict(
                    {"sentences": [leads[i].text for i in sample], "labels": [leads[i].topic for i in sample]}
                )
            }
        )
        self.data_loaded = True


TASKS = (WikiTopicClustering,)
