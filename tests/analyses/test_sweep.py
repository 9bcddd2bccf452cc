"""Dimension sweeps (docs/methods.md: dimension reduction, dimension sweeps): one full-dimension encoding per (model, prompt, task),
every d scored by MTEB's own evaluators, results where `mteb run -m "<variant>"` writes them (an
experiment of the base model).

Real MTEB, real all-MiniLM-L6-v2, the session's embedding cache. The sweep over STSBenchmarkOffline
runs once per module; what reached the model is counted against what the cache lacked before.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# MTEB's mock classification task has too few test texts for every class to be predicted.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.UndefinedMetricWarning")

MINILM = "sentence-transformers/all-MiniLM-L6-v2"
STS = "STSBenchmarkOffline"


def variant(prompt="none", dim=None, reduction="first") -> str:
    from mteb_redundancy.models.names import VariantName

    return str(VariantName(MINILM, prompt, dim, reduction))


def result_file(output: Path, name: str, task: str) -> Path:
    """Where MTEB put a variant's result: its base model's folder, under experiments/."""
    import mteb

    meta = mteb.get_model_meta(name)
    base = meta.name.replace("/", "__")
    (path,) = (output / "results").glob(f"{base}/*/experiments/{meta.experiment_name}/{task}.json")
    return path


def scores_of(path: Path) -> dict:
    return json.loads(path.read_text("utf-8"))["scores"]


def assert_same_scores(a: dict, b: dict, tolerance: float = 1e-6) -> None:
    assert a.keys() == b.keys()
    for split in a:
        for left, right in zip(a[split], b[split], strict=True):
            numbers = {k: v for k, v in left.items() if isinstance(v, float)}
            assert numbers, "no scores to compare"
            for key, value in numbers.items():
                assert right[key] == pytest.approx(value, abs=tolerance, nan_ok=True), key


@pytest.fixture(scope="module")
def embeddings(mteb_module):
    """The session's embedding cache (conftest sets it up)."""
    return Path(os.environ["MTEB_REDUNDANCY_CACHE"])


def sts_texts(mteb) -> list[str]:
    task = mteb.get_task(STS)
    task.load_data()
    return sorted(set(task.dataset["test"]["sentence1"]) | set(task.dataset["test"]["sentence2"]))


@pytest.fixture(scope="module")
def sts_sweep(mteb_module, embeddings, tmp_path_factory):
    """The sweep, and how many of the task's texts the embedding cache lacked before it."""
    from mteb_redundancy import EmbeddingCache, get_encoder
    from mteb_redundancy.analyses.sweep.engine import run_sweep
    from mteb_redundancy.models.styles import NO_PROMPT

    probe = get_encoder(variant(), device="cpu", cache=EmbeddingCache(embeddings))  # loads no model
    _, missing = probe.cache.lookup(probe._cache_key(NO_PROMPT), sts_texts(mteb_module))
    output = tmp_path_factory.mktemp("sts-sweep")
    result = run_sweep(
        MINILM, "none", [8, 32, "full"], ["first", "random"], [STS], output,
        device="cpu", embedding_cache=EmbeddingCache(embeddings), show_progress=False,
    )
    return result, output, len(missing)


def test_sweep_encodes_each_text_once(mteb_module, sts_sweep):
    result, _, missing_before = sts_sweep
    (count,) = result.encodings
    # Five variants (full, first/random at 8 and 32); MTEB asks for sentence1 and sentence2 in each:
    # two requests reach the encoder, the other eight are served from the sweep's memo.
    assert (count.requests, count.reuses) == (2, 2 * 4)
    # Each text the cache lacked reached the model once (all of them, in a fresh session).
    assert count.texts_encoded == result.texts_encoded == missing_before
    assert {(r.reduction, r.dim) for r in result.rows} == {
        ("first", 8), ("first", 32), ("first", 384), ("random", 8), ("random", 32), ("random", 384)
    }


def test_sweep_score_equals_mteb_run_of_the_variant(sts_sweep, tmp_path):
    result, output, _ = sts_sweep
    name = variant(dim=32)
    completed = subprocess.run(  # the session's environment: same embedding cache, MTEB cache, no hub
        [sys.executable, "-m", "mteb", "run", "-m", name, "-t", STS, "--output-folder", str(tmp_path)],
        capture_output=True, text=True, timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    cli_file, sweep_file = result_file(tmp_path, name, STS), result_file(output, name, STS)
    # Same place relative to the output folder, same scores.
    assert cli_file.relative_to(tmp_path) == sweep_file.relative_to(output)
    assert_same_scores(scores_of(cli_file), scores_of(sweep_file))
    assert result.score(STS, MINILM, "none", "first", 32) == pytest.approx(scores_of(cli_file)["test"][0]["main_score"], abs=1e-6)


def test_random_reduction_is_reproducible(mteb_module, sts_sweep, embeddings, tmp_path):
    from mteb_redundancy import EmbeddingCache, get_encoder
    from mteb_redundancy.analyses.sweep.engine import run_sweep

    result, output, _ = sts_sweep
    again = run_sweep(MINILM, "none", [8], "random", [STS], tmp_path / "again", device="cpu",
                      embedding_cache=EmbeddingCache(embeddings), show_progress=False)
    assert again.score(STS, MINILM, "none", "random", 8) == result.score(STS, MINILM, "none", "random", 8)
    # Other coordinates than the first 8, so another score.
    assert result.score(STS, MINILM, "none", "random", 8) != result.score(STS, MINILM, "none", "first", 8)
    # The same as the registered variant, loaded on its own.
    encoder = get_encoder(variant(dim=8, reduction="random"), device="cpu", cache=EmbeddingCache(embeddings))
    alone = mteb_module.evaluate(encoder, mteb_module.get_task(STS), cache=mteb_module.ResultCache(tmp_path / "alone"),
                                 show_progress_bar=False)
    assert alone.task_results[0].get_score() == pytest.approx(result.score(STS, MINILM, "none", "random", 8), abs=1e-12)


def test_interrupted_sweep_resumes(mteb_module, sts_sweep, embeddings, tmp_path):
    from mteb_redundancy import EmbeddingCache
    from mteb_redundancy.analyses.sweep.engine import run_sweep

    def sweep(dims):
        return run_sweep(MINILM, "none", dims, "first", [STS], tmp_path, device="cpu",
                         embedding_cache=EmbeddingCache(embeddings), show_progress=False)

    first = sweep([16])
    path = result_file(tmp_path, variant(dim=16), STS)
    stamp, content = path.stat().st_mtime_ns, path.read_bytes()
    more = sweep([16, 64])
    assert {r.dim: r.status for r in more.rows} == {16: "existing", 64: "computed"}
    assert (path.stat().st_mtime_ns, path.read_bytes()) == (stamp, content)
    assert more.score(STS, MINILM, dim=16) == pytest.approx(first.score(STS, MINILM, dim=16), abs=1e-6)
    (count,) = more.encodings
    assert (count.requests, count.texts_encoded) == (2, 0)  # d=64 only, from the disk cache
    done = sweep([16, 64])
    assert {r.status for r in done.rows} == {"existing"}
    assert [(c.requests, c.texts_encoded) for c in done.encodings] == [(0, 0)]  # the encoder was never asked


def test_dimension_above_the_models_errors_before_encoding(mteb_module, tmp_path):
    from mteb_redundancy import EmbeddingCache
    from mteb_redundancy.analyses.sweep.engine import SweepError, run_sweep

    cache = tmp_path / "embeddings"
    with pytest.raises(SweepError, match=r"Dimension 512 is larger than .*384"):
        run_sweep(MINILM, "none", [8, 512, "full"], "first", [STS], tmp_path / "out", device="cpu",
                  embedding_cache=EmbeddingCache(cache), show_progress=False)
    assert not cache.exists() and not (tmp_path / "out").exists()
    with pytest.raises(SweepError, match="all-MiniLM-L6-v2"):
        run_sweep("sentence-transformers/all-MiniLM-L6-v3", "none", [8], "first", [STS], tmp_path / "out")
    with pytest.raises(SweepError, match="'random'"):
        run_sweep(MINILM, "none", [8], "randm", [STS], tmp_path / "out")
    with pytest.raises(SweepError, match="no prompt style 'prompteol'"):
        run_sweep(MINILM, "prompteol", [8], "first", [STS], tmp_path / "out")


def test_plot_has_one_line_per_variant(sts_sweep, tmp_path):
    from mteb_redundancy.analyses.sweep.plots import (
        curve_label,
        plot_sweep,
        write_sweep_report,
    )

    result, _, _ = sts_sweep
    written = write_sweep_report(result, tmp_path / "sweep.png")
    assert [p.name for p in written] == ["sweep.png", "sweep.svg", "sweep.md", "sweep.csv"]
    assert written[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and b"<svg" in written[1].read_bytes()[:2000]
    assert len(written[3].read_text().splitlines()) == 1 + len(result.rows)
    fig = plot_sweep(result)
    (ax,) = fig.axes
    assert ax.get_xscale() == "log"
    lines = {line.get_label(): line for line in ax.get_lines()}
    short = {MINILM: "all-MiniLM-L6-v2"}
    assert set(lines) == {curve_label(MINILM, "none", r, short) for r in ("first", "random")}
    first = lines[curve_label(MINILM, "none", "first", short)]
    assert list(first.get_xdata()) == [8, 32, 384]
    expected = [100 * result.score(STS, MINILM, "none", "first", d) for d in (8, 32, None)]
    assert list(first.get_ydata()) == pytest.approx(expected)


def test_mock_tasks_through_the_sweep(mteb_module, embeddings, tmp_path):
    from mteb.mocks.mock_tasks import (
        MockClassificationTask,
        MockRetrievalTask,
        MockSTSTask,
    )
    from mteb.mocks.mock_tasks.clustering import MockClusteringTask

    from mteb_redundancy import EmbeddingCache, get_encoder
    from mteb_redundancy.analyses.sweep.engine import run_sweep
    from mteb_redundancy.analyses.sweep.plots import plot_sweep

    classes = (MockClassificationTask, MockRetrievalTask, MockClusteringTask, MockSTSTask)
    result = run_sweep(MINILM, ["none", "prefix"], [2, 4, "full"], ["first", "random"], [c() for c in classes],
                       tmp_path, device="cpu", embedding_cache=EmbeddingCache(embeddings), show_progress=False)
    names = {variant(p, d, r) for p in ("none", "prefix") for d in (2, 4) for r in ("first", "random")}
    names |= {variant(p) for p in ("none", "prefix")}
    for task in classes:
        for name in names:
            assert result_file(tmp_path, name, task.metadata.name).exists()
    # The same variant evaluated on its own gives the same scores.
    name = variant("prefix", 4, "random")
    encoder = get_encoder(name, device="cpu", cache=EmbeddingCache(embeddings))
    mteb_module.evaluate(encoder, [c() for c in classes], cache=mteb_module.ResultCache(tmp_path / "alone"),
                         show_progress_bar=False)
    for task in classes:
        assert_same_scores(scores_of(result_file(tmp_path / "alone", name, task.metadata.name)),
                           scores_of(result_file(tmp_path, name, task.metadata.name)))
    fig = plot_sweep(result)
    assert sorted(ax.get_title().split(":")[0] for ax in fig.axes) == ["Classification", "Clustering", "Retrieval", "STS"]
    assert all(len(ax.get_lines()) == 4 for ax in fig.axes)  # 2 prompts x 2 reductions


def _wiki_subsets(mteb_module):
    """WikiTopicClassification, WikiTopicClustering and WikiRetrieval cut down to a few hundred
    leads (the same ones in each), to keep the test fast on a CPU."""
    from datasets import DatasetDict

    classification = mteb_module.get_task("WikiTopicClassification")
    classification.load_data()
    test = classification.dataset["test"].select(range(300))
    classification.dataset = DatasetDict({"train": classification.dataset["train"].select(range(200)), "test": test})
    clustering = mteb_module.get_task("WikiTopicClustering")
    clustering.load_data()
    clustering.dataset["test"] = clustering.dataset["test"].select(range(300))
    retrieval = mteb_module.get_task("WikiRetrieval")
    retrieval.load_data()
    split = retrieval.dataset["default"]["test"]
    keep = set(test["text"])
    corpus = split["corpus"].filter(lambda row: row["text"] in keep)
    kept_ids = set(corpus["id"])
    relevant = {q: docs for q, docs in split["relevant_docs"].items() if set(docs) <= kept_ids}
    split.update(corpus=corpus, relevant_docs=relevant, queries=split["queries"].filter(lambda row: row["id"] in relevant))
    assert len(relevant) >= 10
    return [classification, clustering, retrieval]


def test_wiki_tasks_score_as_separate_runs(mteb_module, embeddings, tmp_path):
    from mteb_redundancy import EmbeddingCache, get_encoder
    from mteb_redundancy.analyses.sweep.engine import run_sweep

    result = run_sweep(MINILM, "none", [4, 16, "full"], "first", _wiki_subsets(mteb_module), tmp_path / "sweep",
                       device="cpu", embedding_cache=EmbeddingCache(embeddings), show_progress=False)
    # Clustering draws its samples from the task's random state: d=16 comes after two other
    # evaluations in the sweep, and must still see the draws a fresh run sees.
    name = variant(dim=16)
    encoder = get_encoder(name, device="cpu", cache=EmbeddingCache(embeddings))
    mteb_module.evaluate(encoder, _wiki_subsets(mteb_module), cache=mteb_module.ResultCache(tmp_path / "alone"),
                         show_progress_bar=False)
    for task in ("WikiTopicClassification", "WikiTopicClustering", "WikiRetrieval"):
        assert_same_scores(scores_of(result_file(tmp_path / "alone", name, task)),
                           scores_of(result_file(tmp_path / "sweep", name, task)))
    counts = {c.task: (c.requests, c.reuses) for c in result.encodings}
    assert counts == {"WikiTopicClassification": (2, 4), "WikiTopicClustering": (1, 2), "WikiRetrieval": (2, 4)}
    # The model finds the described lead among 300 far above chance at full dimension.
    assert result.score("WikiRetrieval", MINILM, dim=None) > 0.5


def test_cli_sweep_writes_figure_and_tables(sts_sweep, tmp_path, capsys):
    from mteb_redundancy.cli import main

    args = ["sweep", "-m", MINILM, "--prompt", "none", "--dims", "8,full", "--reduction", "first",
            "-t", STS, "--output-folder", str(tmp_path), "--no-progress"]
    assert main(args) == 0
    for suffix in ("png", "svg", "md", "csv"):
        assert (tmp_path / f"sweep.{suffix}").stat().st_size > 0
    result, _, _ = sts_sweep
    assert f"{100 * result.score(STS, MINILM, dim=8):.2f}" in (tmp_path / "sweep.md").read_text()
    capsys.readouterr()
    assert main(["sweep", "-m", MINILM, "--dims", "8,1000", "-t", STS, "--output-folder", str(tmp_path)]) == 2
    assert "384" in capsys.readouterr().err


def test_plan_treats_the_models_own_dimension_as_full(mteb_module):
    from mteb_redundancy.analyses.sweep.engine import plan_points

    points = plan_points([MINILM], ["none"], [8, 384], ["first", "random"])
    assert [(p.reduction, p.dim) for p in points] == [("first", None), ("first", 8), ("random", 8)]
    assert [str(p.variant) for p in points] == [variant(), variant(dim=8), variant(dim=8, reduction="random")]


def test_several_models_share_one_figure():
    from mteb_redundancy.analyses.sweep.engine import SweepResult, SweepRow
    from mteb_redundancy.analyses.sweep.plots import plot_sweep

    def row(model, full_dim, dim, score, task="T1", task_type="Classification"):
        return SweepRow(model, "none", "first", dim, full_dim, dim == full_dim, task, task_type, "accuracy",
                        score, "-", "computed", "-")

    rows = [row("org/a", 384, d, s) for d, s in ((8, 0.5), (384, 0.7))]
    rows += [row("org/b", 768, d, s) for d, s in ((8, 0.4), (768, 0.9))]
    rows += [row("org/b", 768, d, s, task="T2") for d, s in ((8, 0.6), (768, 0.7))]
    fig = plot_sweep(SweepResult(rows))
    (ax,) = fig.axes
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert set(lines) == {"a · prompt=none · first", "b · prompt=none · first"}
    assert lines["a · prompt=none · first"].get_color() != lines["b · prompt=none · first"].get_color()
    # Mean over the task type's tasks: model b has two classification tasks.
    assert list(lines["b · prompt=none · first"].get_ydata()) == pytest.approx([50.0, 80.0])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["8", "384\n(full)", "768\n(full)"]


def test_the_markdown_has_per_task_tables_only_where_a_type_has_more_than_one_task():
    from mteb_redundancy.analyses.sweep.engine import SweepResult, SweepRow

    def row(task, task_type, dim, score):
        return SweepRow("m", "none", "first", dim, 8, dim == 8, task, task_type, "accuracy", score, f"m (dim={dim})", "computed", "")

    one_each = SweepResult([row("A", "Classification", d, 0.5 + d / 100) for d in (4, 8)] + [row("B", "STS", d, 0.2) for d in (4, 8)])
    text = one_each.to_markdown()
    assert "## Score per task" not in text and "Classification: A" in text and "STS: B" in text
    assert "| 54.00 | 58.00 |" in text  # the type's mean is its one task's score
    two = SweepResult(one_each.rows + [row("C", "Classification", d, 0.1) for d in (4, 8)])
    text = two.to_markdown()
    assert "## Score per task" in text and "### A (accuracy)" in text and "### C (accuracy)" in text
    assert "| 32.00 | 34.00 |" in text  # Classification's mean of A and C at d = 4 and 8
