"""Redundancy per prompt type: MTEB evaluates a Redundancy task (the first 300 of RedundancyWiki's
leads, which RedundancyWikiSmall's 1,000 begin with) on all-MiniLM-L6-v2 with E5-style prefixes.

`mteb run` itself is exercised on variants in test_cli.py; here MTEB's `evaluate` runs in-process so that
the task can be a smaller copy of a registered one and its encodings are the session cache's, which the
study and experiments tests reuse (their samples are the first 120 to 200 of the same leads).
"""

import csv
import io
import json
import os
from pathlib import Path

import numpy as np
import pytest

from mteb_redundancy.analyses.redundancy.measure import PROMPT_TYPES, prompt_sources
from mteb_redundancy.estimators import isoscore, twonn

BASE = "sentence-transformers/all-MiniLM-L6-v2"
PREFIX = f"{BASE} (prompt=prefix)"
TASK = "RedundancyWikiTest"
N_TEXTS = 300


def redundancy_test_task():
    from mteb_redundancy_tasks.redundancy import RedundancyWikiSmall

    class RedundancyWikiTest(RedundancyWikiSmall):
        metadata = RedundancyWikiSmall.metadata.model_copy(update={"name": TASK})
        n_texts = N_TEXTS

    return RedundancyWikiTest()


@pytest.fixture(scope="module")
def prefix_run(mteb_module, tmp_path_factory) -> Path:
    from mteb_redundancy import EmbeddingCache, get_encoder

    out = tmp_path_factory.mktemp("redundancy")
    encoder = get_encoder(PREFIX, device="cpu", cache=EmbeddingCache(os.environ["MTEB_REDUNDANCY_CACHE"]))
    result = mteb_module.evaluate(encoder, [redundancy_test_task()], cache=mteb_module.ResultCache(out),
                                  co2_tracker=False, show_progress_bar=False)
    assert not result.exceptions, result.exceptions
    return out


@pytest.fixture(scope="module")
def prefix_scores(prefix_run) -> dict:
    (path,) = prefix_run.rglob(f"{TASK}.json")
    return json.loads(path.read_text())["scores"]["test"][0]


def test_the_result_holds_every_prompt_types_figures(prefix_scores):
    assert set(prefix_scores["prompt_types"]) == set(PROMPT_TYPES)
    for prompt_type, figures in prefix_scores["prompt_types"].items():
        assert 1 < figures["twonn"] < 384
        assert 0 < figures["isoscore"] < figures["gaussian_isoscore"] < 1
        assert (figures["n_points"], figures["n_dims"], figures["n_duplicates_dropped"]) == (N_TEXTS, 384, 0)
        assert [p["d"] for p in figures["by_dimension"]] == [2, 4, 8, 16, 32, 64, 128, 256, 384]
        assert figures["by_dimension"][-1]["twonn"] == pytest.approx(figures["twonn"])
    counts = {t: len(prefix_scores["prompt_types"][t]["per_instruction"]) for t in PROMPT_TYPES}
    assert counts == {"retrieval_query": 6, "retrieval_document": 6, "classification": 5, "clustering": 3, "none": 1}
    assert prefix_scores["main_score"] == prefix_scores["twonn_retrieval_query"]
    # E5-style prefixes: documents get "passage: ", the other types "query: ", so they differ
    assert prefix_scores["twonn_retrieval_document"] != prefix_scores["twonn_retrieval_query"]
    assert prefix_scores["twonn_classification"] == prefix_scores["twonn_retrieval_query"]


def test_reported_figures_are_the_estimators_on_the_models_embeddings(prefix_scores, load_variant, mteb_module):
    from mteb_redundancy.models.cache import EmbeddingCache

    texts = redundancy_test_task().load_texts()
    model = load_variant(PREFIX, cache=EmbeddingCache(os.environ["MTEB_REDUNDANCY_CACHE"]))
    X = model.embed(texts, model.prompt_for("NQHardNegatives", "Retrieval", "document"))
    assert model.texts_encoded == 0  # served by the cache the evaluation filled
    figures = prefix_scores["prompt_types"]["retrieval_document"]
    assert figures["twonn"] == pytest.approx(twonn(X).dimension, rel=1e-5)
    assert figures["isoscore"] == pytest.approx(isoscore(X), rel=1e-5)


def test_a_model_with_one_prompt_for_all_types_encodes_the_corpus_once(load_variant, mteb_module, tmp_path):
    from mteb_redundancy import EmbeddingCache

    model = load_variant(f"{BASE} (prompt=none, dim=64)", cache=EmbeddingCache(tmp_path / "fresh"))
    result = mteb_module.evaluate(model, [redundancy_test_task()], cache=mteb_module.ResultCache(tmp_path))
    assert model.texts_encoded == N_TEXTS
    scores = result.task_results[0].scores["test"][0]
    assert {scores[f"twonn_{t}"] for t in PROMPT_TYPES} == {scores["twonn_none"]}
    assert scores["prompt_types"]["none"]["n_dims"] == 64
    assert [p["d"] for p in scores["prompt_types"]["none"]["by_dimension"]] == [2, 4, 8, 16, 32, 64]


def test_duplicate_texts_are_dropped_and_counted(load_variant, mteb_module, wiki_texts, tmp_path):
    from mteb_redundancy.analyses.redundancy.task_type import AbsTaskRedundancy

    class DuplicatedWiki(AbsTaskRedundancy):
        metadata = mteb_module.get_task("RedundancyWikiSmall").metadata.model_copy(update={"name": "DuplicatedWiki"})
        prompt_types = ("none",)
        main_prompt_type = "none"

        def load_texts(self):
            return wiki_texts[:150] + wiki_texts[:25] + [""]

    model = load_variant(f"{BASE} (prompt=none)")
    result = mteb_module.evaluate(model, [DuplicatedWiki()], cache=mteb_module.ResultCache(tmp_path))
    scores = result.task_results[0].scores["test"][0]
    assert scores["n_duplicate_texts_dropped"] == 26
    assert scores["prompt_types"]["none"]["n_points"] == 150
    assert np.isfinite(scores["twonn_none"])


def test_prompt_types_follow_the_papers_task_list():
    sources = prompt_sources()
    assert {s.task_name for s in sources if s.prompt_type == "clustering"} == {
        "ArxivClusteringS2S", "RedditClustering", "StackExchangeClustering"}
    assert all(s.side == "document" for s in sources if s.prompt_type == "retrieval_document")
    with pytest.raises(ValueError, match="Unknown prompt type"):
        prompt_sources(["retrieval"])


def test_an_unknown_task_type_is_a_clear_error(mteb_module):
    from mteb_redundancy.analyses.redundancy.task_type import RedundancyMetadata

    fields = mteb_module.get_task("RedundancyWikiSmall").metadata.model_dump()
    with pytest.raises(ValueError, match="Did you mean 'Redundancy'"):
        RedundancyMetadata(**{**fields, "type": "Redundancey"})


def test_table_and_plot_commands_read_the_result_folder(prefix_run, prefix_scores, tmp_path):
    from mteb_redundancy.analyses.redundancy.report import figure, load_rows
    from mteb_redundancy.cli import main

    out = tmp_path / "table.csv"
    assert main(["redundancy-table", "--output-folder", str(prefix_run), "--task", TASK, "--format", "csv", "--table", str(out)]) == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    (twonn_row,) = [r for r in rows if r["measure"] == "twonn"]
    assert twonn_row["model"] == PREFIX
    assert float(twonn_row["document"]) == pytest.approx(prefix_scores["twonn_retrieval_document"], abs=0.01)

    png = tmp_path / "redundancy.png"
    assert main(["redundancy-plot", "--output-folder", str(prefix_run), "--task", TASK, "--plot", str(png)]) == 0
    assert png.stat().st_size > 10_000
    fig = figure(load_rows(prefix_run, TASK))
    assert [len(ax.lines) for ax in fig.axes] == [5, 5]


def _figures_row(name: str):
    from mteb_redundancy.analyses.redundancy.report import RedundancyRow

    types = {t: {"twonn": 20.0, "isoscore": 0.1, "n_points": 1000, "n_dims": 384} for t in PROMPT_TYPES}
    return RedundancyRow(name, "RedundancyWiki", {"prompt_types": types})


def test_paper_rows_only_beside_the_configuration_the_paper_measured():
    from mteb_redundancy.analyses.redundancy.report import table

    def paper_rows(name: str, measure: str = "twonn") -> list[str]:
        return [line for line in table([_figures_row(name)], measure).splitlines() if "(paper)" in line]

    (e5,) = paper_rows("intfloat/e5-small-v2 (prompt=prefix)")
    cells = [c.strip() for c in e5.split("|")[1:-1]]
    # query, document as printed (Table 2); classification and clustering copy the query: row
    assert cells[1:5] == ["41.57", "37.60", "41.57 (derived)", "41.57 (derived)"]
    assert "derived" in cells[-1]
    (iso,) = paper_rows("intfloat/e5-small-v2 (prompt=prefix)", "isoscore")
    assert "0.4419 (derived)" in iso
    (nomic,) = paper_rows("nomic-ai/nomic-embed-text-v1.5 (prompt=prefix)")
    assert "derived" not in nomic and "34.74" in nomic
    assert paper_rows("Alibaba-NLP/gte-Qwen2-7B-instruct (prompt=instruction, precision=float32)")
    assert paper_rows("princeton-nlp/unsup-simcse-bert-large-uncased")  # the paper ran it without prompts
    for other in (
        "intfloat/e5-small-v2 (prompt=none)",
        "intfloat/e5-small-v2",  # MTEB's own wrapper, not one of this project's prompt styles
        "nomic-ai/nomic-embed-text-v1.5 (prompt=prefix, dim=128)",
        "nomic-ai/nomic-embed-text-v1.5 (prompt=prefix, dim=256, reduction=pca)",
        "nomic-ai/nomic-embed-text-v1.5 (prompt=prefix, quantization=int8)",
        "Alibaba-NLP/gte-Qwen2-7B-instruct (prompt=instruction, precision=bfloat16)",
        "Alibaba-NLP/gte-Qwen2-7B-instruct (prompt=none)",
    ):
        assert not paper_rows(other), other


def test_the_table_has_every_estimator_and_states_each_verdict_with_its_corpus_m_and_estimator(prefix_run, prefix_scores):
    from mteb_redundancy.analyses.redundancy.report import load_rows, report
    from mteb_redundancy.plugins import registered_estimators

    text = report(load_rows(prefix_run, TASK))
    for estimator in registered_estimators():  # a table per estimator the result holds, not only ID and IsoScore
        assert f"### {estimator.label} ({TASK})" in text
    rows = list(csv.reader(io.StringIO(report(load_rows(prefix_run, TASK), "csv"))))
    assert {r[0] for r in rows[1:]} == {e.name for e in registered_estimators()}
    (mle_row,) = [r for r in rows if r[0] == "mle"]
    assert float(mle_row[2]) == pytest.approx(prefix_scores["mle_retrieval_query"], abs=1e-4)

    section = text.split("### Tsukagoshi & Sasano's claims")[1].split("### Paired comparisons")[0]
    assert f"{PREFIX}, {TASK}, m = {N_TEXTS}:" in section and "robustness" in section and "verdicts.png" in section
    cells = _claim_cells(section)
    assert set(cells) == {"classification below query", "clustering below query"}
    # all-MiniLM's E5-style prefixes give classification and clustering the query's own "query: " prompt
    prompts = {t: {e["prompt"] for e in figures["per_instruction"]} for t, figures in prefix_scores["prompt_types"].items()}
    assert prompts["classification"] == prompts["clustering"] == prompts["retrieval_query"]
    assert all(cell == "undecided (same prompts: 0 by construction)" for row in cells.values() for cell in row.values())


def _claim_cells(section: str) -> dict[str, dict[str, str]]:
    lines = [line for line in section.splitlines() if line.startswith("|") and not line.startswith("| ---")]
    header = [c.strip() for c in lines[0].split("|")[1:-1]]
    return {cells[0]: dict(zip(header[1:], cells[1:])) for cells in ([c.strip() for c in line.split("|")[1:-1]] for line in lines[1:])}


def test_the_claims_table_gives_holds_reversed_and_undecided_where_the_answer_is_known():
    from mteb_redundancy.analyses.redundancy.report import RedundancyRow, claim_table
    from mteb_redundancy.analyses.redundancy.uncertainty import type_uncertainty
    from mteb_redundancy.plugins import get_estimator

    rng = np.random.default_rng(0)
    m = 600
    cube = lambda k: np.hstack([rng.uniform(size=(m, k)), np.zeros((m, 12 - k))])  # uniform on a k-cube in R^12
    clouds = {"q": cube(6), "c": cube(3), "k": cube(10)}  # classification: ID 3 < 6; clustering: ID 10 > 6
    types = {"retrieval_query": ["q"], "classification": ["c"], "clustering": ["k"]}
    twonn = get_estimator("twonn")
    uncertainty = type_uncertainty(clouds, types, n_resamples=40, estimators=[twonn])
    figures = {t: {"twonn": 1.0, "per_instruction": [{"prompt": f"{t}: {{text}}"}]} for t in types}
    row = RedundancyRow("synthetic", "Cubes", {"prompt_types": figures, "uncertainty": uncertainty})
    cells = _claim_cells("\n".join(claim_table([row])))
    assert cells["classification below query"]["TwoNN ID"].startswith("holds (-")
    assert cells["clustering below query"]["TwoNN ID"].startswith("reversed (+")
    # the same cloud under two prompt types: the interval of the difference is [0, 0]
    same = type_uncertainty({"q": clouds["q"], "c": clouds["c"]}, {"retrieval_query": ["q"], "classification": ["c"], "clustering": ["q"]},
                            n_resamples=40, estimators=[twonn])
    figures["clustering"]["per_instruction"] = [{"prompt": "q"}]
    row = RedundancyRow("synthetic", "Cubes", {"prompt_types": figures, "uncertainty": same})
    cells = _claim_cells("\n".join(claim_table([row])))
    assert cells["clustering below query"]["TwoNN ID"].startswith("undecided (+0.00 [+0.00, +0.00])")
