"""The study of one model (redundancy with intervals, sweeps, displacement, one report), encoding
precision, and the intervals in Redundancy results: real all-MiniLM-L6-v2, real MTEB, small tasks."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import MINILM


@pytest.fixture(scope="module")
def small_tasks(mteb_module, tmp_path_factory):
    from mteb.mocks.mock_tasks import MockClassificationTask, MockSTSTask
    from mteb_redundancy_tasks.displacement import displacement_task_from_file
    from mteb_redundancy_tasks.redundancy import RedundancyWikiSmall

    class RedundancyWikiTiny(RedundancyWikiSmall):
        metadata = RedundancyWikiSmall.metadata.model_copy(update={"name": "RedundancyWikiTiny"})
        n_texts = 200
        n_resamples = 50

    folder = tmp_path_factory.mktemp("queries")
    queries = folder / "queries.txt"
    queries.write_text("\n".join(["A river in Siberia", "An English footballer", "A programming language",
                                  "A French painter", "A chemical element", "A city in Japan", "A species of bird",
                                  "An American rock band", "A mountain in the Alps", "A Roman emperor"]) + "\n")
    displacement = displacement_task_from_file("TinyDisplacement", queries)
    return {"redundancy": RedundancyWikiTiny, "displacement": displacement, "sweep": (MockClassificationTask, MockSTSTask)}


def study(small_tasks, out, cache):
    from mteb_redundancy.analyses.study.engine import run_study

    return run_study(
        MINILM, "prefix", out,
        tasks=[task() for task in small_tasks["sweep"]], dims=[8, "full"], reductions=["first", "random"],
        redundancy_task=small_tasks["redundancy"](), displacement_task=small_tasks["displacement"](),
        embedding_cache=cache, show_progress=False,
    )


def test_study_writes_its_report_and_a_second_run_encodes_nothing(mteb_module, small_tasks, tmp_path):
    from mteb_redundancy import EmbeddingCache

    cache = EmbeddingCache(tmp_path / "embeddings")
    first = study(small_tasks, tmp_path / "study", cache)
    assert first.texts_encoded > 200
    names = {path.name for path in first.files}
    assert names >= {"report.md", "redundancy.png", "redundancy.svg", "redundancy.csv", "sweep.png", "sweep.svg",
                     "sweep.md", "sweep.csv", "displacement.csv"}
    assert all(path.stat().st_size > 0 for path in first.files)
    report = (tmp_path / "study" / "report.md").read_text()
    assert "## Redundancy per prompt type" in report and "## Score against embedding dimension" in report
    assert "classification vs query: TwoNN ID" in report and "95% interval for the expectation at m = " in report
    assert "## Instruction displacement" in report
    # MTEB result files hold every number
    (redundancy_file,) = (tmp_path / "study" / "results").rglob("RedundancyWikiTiny.json")
    scores = json.loads(redundancy_file.read_text())["scores"]["test"][0]
    assert scores["precision"] == "float32" and scores["uncertainty"]["n_resamples"] == 50

    again = study(small_tasks, tmp_path / "study", cache)
    assert again.texts_encoded == 0
    assert (tmp_path / "study" / "report.md").read_text().replace("0 when", "") .count("Texts encoded by this run: 0") == 1


def test_redundancy_intervals_contain_the_estimate_and_a_type_against_itself_is_zero(mteb_module, small_tasks, load_variant):
    from mteb_redundancy.analyses.redundancy.uncertainty import difference

    task = small_tasks["redundancy"]()
    encoder = load_variant(f"{MINILM} (prompt=prefix)")
    texts = task.load_texts()
    scores = task.measure(encoder, texts, batch_size=32, hf_subset="default")
    uncertainty = scores["uncertainty"]
    for prompt_type, figures in scores["prompt_types"].items():
        for statistic in ("twonn", "isoscore"):
            interval = uncertainty["prompt_types"][prompt_type][statistic]
            assert interval["low"] <= figures[statistic] <= interval["high"]
            assert interval["estimate"] == pytest.approx(figures[statistic], rel=1e-9)
    # under E5-style prefixes, classification and query are the same input: a difference of exactly 0
    same = difference(uncertainty, "classification", "retrieval_query", "twonn")
    assert (same["estimate"], same["low"], same["high"]) == (0.0, 0.0, 0.0)
    assert difference(uncertainty, "retrieval_document", "retrieval_query", "twonn")["estimate"] != 0.0
    # reproducible with its seed
    assert task.measure(encoder, texts, batch_size=32, hf_subset="default")["uncertainty"] == uncertainty


def test_bfloat16_and_float32_are_cached_apart(mteb_module, load_variant, tmp_path, wiki_texts):
    from mteb_redundancy import EmbeddingCache, get_encoder
    from mteb_redundancy.models.precision import resolve_precision

    cache = EmbeddingCache(tmp_path / "emb")
    name = f"{MINILM} (prompt=none)"
    f32 = get_encoder(name, device="cpu", cache=cache, precision="float32")
    b16 = get_encoder(name, device="cpu", cache=cache, precision="bfloat16")
    prompt = f32.prompt_for("WikiTopicClassification", "Classification", None)
    assert f32._cache_key(prompt).namespace != b16._cache_key(prompt).namespace
    texts = wiki_texts[:24]
    a, b = f32.embed(texts, prompt), b16.embed(texts, prompt)
    assert f32.texts_encoded == b16.texts_encoded == 24  # the second precision did not reuse the first
    cosine = np.sum(a * b, axis=1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    assert cosine.min() > 0.999 and not np.array_equal(a, b)
    assert len([p for p in (tmp_path / "emb").iterdir() if p.is_dir()]) == 2
    with pytest.raises(ValueError, match="precision must be one of"):
        resolve_precision("fp8", "cpu")


def test_auto_precision_is_bfloat16_exactly_where_the_cpu_has_it(monkeypatch):
    from mteb_redundancy.models.precision import (
        PRECISION_VARIABLE,
        cpu_has_native_bfloat16,
        resolve_precision,
    )

    monkeypatch.delenv(PRECISION_VARIABLE, raising=False)
    flags = open("/proc/cpuinfo").read()
    native = "avx512_bf16" in flags or "amx_bf16" in flags
    assert cpu_has_native_bfloat16() is native
    assert resolve_precision(None, "cpu") == ("bfloat16" if native else "float32")
    monkeypatch.setenv(PRECISION_VARIABLE, "float32")
    assert resolve_precision(None, "cpu") == "float32"
    assert resolve_precision("bfloat16", "cpu") == "bfloat16"


def test_study_bad_input_fails_before_encoding(mteb_module, tmp_path):
    from mteb_redundancy.analyses.study.engine import StudyError, run_study

    with pytest.raises(StudyError, match="has no prompt style 'prompteol'"):
        run_study(MINILM, "prompteol", tmp_path / "a")
    with pytest.raises(StudyError, match="Did you mean 'WikiTopicClustering'"):
        run_study(MINILM, "prefix", tmp_path / "b", tasks=["WikiTopicClusterin"])
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(StudyError, match="is a file"):
        run_study(MINILM, "prefix", a_file)
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_the_table_shows_the_papers_row_beside_a_measured_one_and_never_mixes_them():
    from mteb_redundancy.analyses.redundancy.measure import PROMPT_TYPES
    from mteb_redundancy.analyses.redundancy.report import RedundancyRow, report

    figures = {t: {"twonn": 10.0 + i, "isoscore": 0.1, "n_points": 1000, "n_dims": 768, "gaussian_isoscore": 0.5}
               for i, t in enumerate(PROMPT_TYPES)}
    row = RedundancyRow("nomic-ai/nomic-embed-text-v1.5 (prompt=prefix)", "RedundancyWikiSmall", {"prompt_types": figures})
    text = report([row])
    (paper_line,) = [line for line in text.splitlines() if "(paper)" in line and "34.74" in line]
    assert "33.78" in paper_line and "27.75" in paper_line and "26.25" in paper_line
    measured = [line for line in text.splitlines() if line.startswith("| nomic-ai/nomic-embed-text-v1.5 (prompt=prefix)")]
    assert len(measured) == 2 and "10.00" in measured[0]  # ID table and IsoScore table
    csv_text = report([row], "csv")
    assert "34.7400" in csv_text and "measured" in csv_text and "Tsukagoshi & Sasano" in csv_text


@pytest.mark.parametrize("precision", ["float32", "bfloat16"])
def test_the_studys_redundancy_table_shows_the_papers_row_only_beside_a_float32_run(mteb_module, tmp_path, precision):
    from mteb_redundancy.analyses.redundancy.measure import PROMPT_TYPES
    from mteb_redundancy.analyses.study.engine import StudyResult
    from mteb_redundancy.analyses.study.report import _redundancy_section

    figures = {t: {"twonn": 10.0 + i, "isoscore": 0.1, "n_points": 1000, "n_dims": 768, "gaussian_isoscore": 0.5}
               for i, t in enumerate(PROMPT_TYPES)}
    result = StudyResult(out=tmp_path, variant="nomic-ai/nomic-embed-text-v1.5 (prompt=prefix)", precision=precision,
                         redundancy={"prompt_types": figures})
    text = "\n".join(_redundancy_section(result, mteb_module.get_task("RedundancyWikiSmall"))[0])
    if precision == "float32":
        assert "(paper)" in text and "34.74" in text
    else:  # the study ran in bfloat16: its row says so, and the paper's float32 figures stay out
        assert "(prompt=prefix, precision=bfloat16) |" in text and "34.74" not in text and "| nomic-ai/nomic-embed-text-v1.5 (paper)" not in text
