"""Quantization as a reduction axis and ``recommend`` (docs/methods.md: quantization; README: recommend).

Real all-MiniLM-L6-v2 on real Wikipedia leads for the quantization definitions (compared with MTEB's
own ``CompressionWrapper`` and sentence-transformers' ``quantize_embeddings``); MTEB's in-package mock
tasks for ``recommend`` end to end (one sweep per module, shared by the tests), so it stays fast.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.UndefinedMetricWarning")

MINILM = "sentence-transformers/all-MiniLM-L6-v2"
KEEP = 0.95


# ----------------------------------------------------------------------------------------------
# Pure functions: milliseconds, no MTEB


@pytest.mark.parametrize(("d", "expected"), [(1, (4, 1, 1)), (8, (32, 8, 1)), (9, (36, 9, 2)), (384, (1536, 384, 48)), (768, (3072, 768, 96))])
def test_bytes_per_vector_are_exact(d, expected):
    from mteb_redundancy.models.quantization import Quantizer, bytes_per_vector

    assert tuple(bytes_per_vector(d, q) for q in ("float32", "int8", "binary")) == expected
    X = np.random.default_rng(0).normal(size=(5, d)).astype(np.float32)
    for q, size in zip(("float32", "int8", "binary"), expected):
        codes = Quantizer(q).fit(X).codes(X)
        assert codes.nbytes == 5 * size  # what storing the codes really takes


def test_smallest_configuration_on_monotone_inputs_is_the_textbook_answer():
    from mteb_redundancy.analyses.recommend.selection import pareto_front, smallest_meeting, threshold_dim

    costs = [1, 2, 4, 8, 16]
    values = [0.5, 0.9, 0.97, 0.995, 1.0]
    assert smallest_meeting(costs, values, 0.95) == 2
    assert smallest_meeting(costs, values, 0.99) == 3
    assert smallest_meeting(costs, values, 1.0) == 4
    assert smallest_meeting([1, 2], [0.1, 0.2], 0.99) is None
    # ties in cost: the higher value wins
    assert smallest_meeting([4, 4, 8], [0.96, 0.98, 1.0], 0.95) == 1
    assert pareto_front(costs, values).all()  # monotone: every point is on the front
    assert list(pareto_front([1, 2, 4], [0.9, 0.8, 1.0])) == [True, False, True]
    dims = [2, 4, 8, 16, 32]
    assert threshold_dim(dims, [0.2, 0.6, 0.92, 0.99, 1.0], 0.95) == 16
    # a curve that dips below the threshold again is cut only from where it stays above it
    assert threshold_dim(dims, [0.99, 0.5, 0.97, 0.99, 1.0], 0.95) == 8


def test_rank_correlation_and_its_intervals():
    from scipy.stats import spearmanr

    from mteb_redundancy.analyses.recommend.selection import bootstrap_interval, fisher_interval, spearman

    rng = np.random.default_rng(1)
    x = rng.normal(size=30)
    y = x + rng.normal(scale=0.7, size=30)
    y[:4] = y[4]  # ties
    r = spearman(x, y)
    assert r == pytest.approx(spearmanr(x, y).statistic, abs=1e-12)
    low, high = fisher_interval(r, 30)
    assert low < r < high
    b_low, b_high = bootstrap_interval(x, y)
    assert b_low < r < b_high and b_high - b_low < 1
    assert math.isnan(spearman([1, 2], [1, 2])) and math.isnan(fisher_interval(0.5, 3)[0])


def test_the_spearman_bootstrap_resamples_tasks_not_pairs():
    from mteb_redundancy.analyses.recommend.selection import bootstrap_interval

    rng = np.random.default_rng(2)
    x = rng.normal(size=12)
    y = x + rng.normal(scale=0.5, size=12)
    # every pair its own group is the ungrouped bootstrap
    assert bootstrap_interval(x, y, groups=list(range(12))) == bootstrap_interval(x, y)
    # 3 tasks x 4 reductions are 3 independent units: too few for an interval, though 12 pairs are not
    assert math.isnan(bootstrap_interval(x, y, groups=[i // 4 for i in range(12)])[0])
    # a task repeated four times adds no information: the interval of 8 tasks does not narrow
    x8 = rng.normal(size=8)
    y8 = x8 + rng.normal(scale=1.0, size=8)
    alone = bootstrap_interval(x8, y8, groups=list(range(8)))
    repeated = bootstrap_interval(np.repeat(x8, 4), np.repeat(y8, 4), groups=np.repeat(np.arange(8), 4).tolist())
    naive = bootstrap_interval(np.repeat(x8, 4), np.repeat(y8, 4))
    assert repeated[1] - repeated[0] > 1.5 * (naive[1] - naive[0])
    assert repeated[1] - repeated[0] == pytest.approx(alone[1] - alone[0], abs=0.15)


def test_chance_corrected_relative_score():
    from mteb_redundancy.analyses.recommend.selection import relative_scores

    assert relative_scores([0.75, 1.0, 0.5], 1.0, 0.5).tolist() == [0.5, 1.0, 0.0]
    assert relative_scores([0.6], 0.8).tolist() == pytest.approx([0.75])
    assert math.isnan(relative_scores([0.4], 0.5, 0.5)[0])  # the full score at chance: no fraction of a gain


def test_chance_levels_from_the_tasks_data(mteb_module):
    import itertools

    from mteb.mocks.mock_tasks import MockClassificationTask, MockPairClassificationTask, MockRerankingTask, MockSTSTask

    from mteb_redundancy.mteb_bridge.chance import _expected_average_precision, chance_level

    task = MockClassificationTask()
    task.load_data()
    labels = list(task.dataset["test"]["label"])
    assert chance_level(task)[0] == max(labels.count(v) for v in set(labels)) / len(labels)
    pair = MockPairClassificationTask()
    pair.load_data()
    positives = [int(v) for v in pair.dataset["test"]["labels"]]
    assert chance_level(pair)[0] == pytest.approx(sum(positives) / len(positives))
    assert chance_level(MockSTSTask()) == (0.0, "0 (taken: cosine_spearman)")

    # the expected AP of a random order equals the mean over every order
    def ap(order):
        hits, total = 0, 0.0
        for rank, relevant in enumerate(order, 1):
            if relevant:
                hits += 1
                total += hits / rank
        return total / hits

    for n, r in [(2, 1), (5, 2), (6, 3), (7, 1)]:
        orders = set(itertools.permutations([1] * r + [0] * (n - r)))
        assert _expected_average_precision(n, r) == pytest.approx(np.mean([ap(o) for o in orders]), abs=1e-12)
    assert chance_level(MockRerankingTask())[0] == pytest.approx(0.75)  # 2 candidates, 1 relevant, per query


@pytest.fixture(scope="module")
def wide_cloud():
    """1,000 texts of a 1,024-d model (wider than the texts, as 6 of Tsukagoshi & Sasano's 8 models): a
    12-d manifold spread over every coordinate, L2-normalised."""
    rng = np.random.default_rng(0)
    Z = rng.standard_normal((1000, 12))
    X = np.tanh(Z @ rng.standard_normal((12, 1024)) / 3) + 0.02 * rng.standard_normal((1000, 1024))
    return (X / np.linalg.norm(X, axis=1, keepdims=True)).astype(np.float32)


@pytest.mark.parametrize("reduction", ["first", "random", "pca"])
def test_a_1024d_model_keeps_its_full_dimension_in_the_label_free_curve(wide_cloud, reduction):
    from mteb_redundancy.analyses.recommend.engine import label_free_curve
    from mteb_redundancy.analyses.recommend.selection import threshold_dim
    from mteb_redundancy.estimators import twonn
    from mteb_redundancy.models.reduction import Reducer

    d_label_free, curve = label_free_curve(wide_cloud, [2, 16, 128, 512, 1000], reduction, 0.99, "twonn", n_resamples=40)
    dims = [c["d"] for c in curve]
    # the reference is the full 1,024-d vector the full score is measured on; only PCA stops below the texts
    assert dims == ([2, 16, 128, 512, 1024] if reduction == "pca" else [2, 16, 128, 512, 1000, 1024])
    # float32 re-normalised; PCA's full point is all its 999 components, lossless for the centred texts
    full = Reducer("pca", 999).fit_transform(wide_cloud) if reduction == "pca" else wide_cloud
    assert curve[-1]["twonn"] == pytest.approx(twonn(full).dimension, rel=1e-6)
    assert (curve[-1]["relative"], curve[-1]["low"], curve[-1]["high"]) == (1.0, 1.0, 1.0)
    for c in curve:
        assert c["low"] <= c["relative"] <= c["high"]
    # the rule: cut where the interval's upper end stays at or above keep, not the noisy point estimate
    assert d_label_free == threshold_dim(dims, [c["high"] for c in curve], 0.99)
    assert 16 < d_label_free <= 1024
    assert curve[0]["relative"] < 0.2  # 2 of a 12-d manifold's dims keep little of it


def test_isoscore_predictor_compares_dimensions_used(wide_cloud):
    """IsoScore itself rises as d falls (fewer coordinates, spread more evenly), so a ratio of IsoScores
    exceeded 1 below the full d and the predictor answered d = 2; as dimensions used it falls with d."""
    from mteb_redundancy.analyses.recommend.engine import label_free_curve
    from mteb_redundancy.estimators import isoscore

    d_label_free, curve = label_free_curve(wide_cloud, [2, 16, 128, 512], "first", 0.99, "isoscore", n_resamples=40)
    raw = [c["isoscore"] for c in curve]
    assert raw[0] > raw[-1]  # the raw ratio would pass keep at d = 2
    assert curve[-1]["isoscore"] == pytest.approx(isoscore(wide_cloud), rel=1e-6)
    relative = [c["relative"] for c in curve]
    assert relative == sorted(relative) and relative[0] < 0.5
    assert d_label_free > 2


def test_unknown_predictor_suggests_a_close_name():
    from mteb_redundancy.analyses.recommend.engine import RecommendError, check_predictor, predictor_names

    assert {"twonn", "isoscore"} <= set(predictor_names())
    with pytest.raises(RecommendError, match="Did you mean 'twonn'"):
        check_predictor("twonm")


@pytest.mark.parametrize("keep", [0, -0.5, 1.01, float("nan"), "a lot"])
def test_keep_outside_zero_one_is_refused(keep):
    from mteb_redundancy.analyses.recommend.selection import check_keep

    with pytest.raises(ValueError, match=r"\(0, 1\]"):
        check_keep(keep)
    assert check_keep(1) == 1.0 and check_keep("0.99") == 0.99


# ----------------------------------------------------------------------------------------------
# The definitions on real embeddings


def fresh_encoder():
    """all-MiniLM-L6-v2 as a variant (loads no weights until it encodes), for MTEB's wrapper to wrap."""
    from mteb_redundancy import EmbeddingCache, get_encoder

    return get_encoder(f"{MINILM} (prompt=none)", device="cpu", cache=EmbeddingCache(Path(os.environ["MTEB_REDUNDANCY_CACHE"])),
                       show_progress=False)


@pytest.fixture(scope="module")
def real_vectors(mteb_module, wiki_texts):
    from mteb_redundancy.models.styles import NO_PROMPT

    encoder = fresh_encoder()
    return encoder, encoder.embed(wiki_texts[:200], NO_PROMPT)


def test_int8_is_mteb_and_sentence_transformers_int8(real_vectors):
    import torch
    from mteb.models import CompressionWrapper
    from mteb.types import OutputDType
    from sentence_transformers.util.quantization import quantize_embeddings

    from mteb_redundancy.models.quantization import Quantizer

    encoder, X = real_vectors
    calibration, held_out = X[:150], X[150:]
    quantizer = Quantizer("int8").fit(calibration)
    codes = quantizer.codes(calibration)
    assert codes.dtype == np.int8
    # every dimension's calibration range maps onto the whole code range (its maximum onto 127, or 126
    # where (max - min) / step rounds below 255 in float32, as it does for MTEB and sentence-transformers)
    assert (codes.min(axis=0) == -128).all() and (codes.max(axis=0) >= 126).all() and (codes.max(axis=0) == 127).any()
    # sentence-transformers, calibrated on the same embeddings: the same codes, also on vectors outside calibration
    for vectors in (calibration, held_out):
        reference = quantize_embeddings(vectors, precision="int8", calibration_embeddings=calibration)
        np.testing.assert_array_equal(quantizer.codes(vectors), reference)
    # MTEB's CompressionWrapper calibrates on what it quantizes: the same codes on the same vectors
    wrapper = CompressionWrapper(fresh_encoder(), OutputDType.INT8)
    with pytest.warns(UserWarning, match="less than"):  # MTEB: calibrating on few embeddings
        mteb_codes = wrapper._quantize_embeddings(torch.tensor(calibration)).numpy()
    np.testing.assert_array_equal(codes.astype(np.float32), mteb_codes)
    # scored as float32 codes
    np.testing.assert_array_equal(quantizer.transform(held_out), quantizer.codes(held_out).astype(np.float32))


def test_binary_is_the_sign_and_cosine_on_it_is_hamming(real_vectors):
    import torch
    from mteb.models import CompressionWrapper
    from mteb.types import OutputDType
    from sentence_transformers.util.quantization import quantize_embeddings

    from mteb_redundancy.models.quantization import Quantizer, hamming_distance, pack_bits

    encoder, X = real_vectors
    quantizer = Quantizer("binary")
    scored = quantizer.fit_transform(X)
    np.testing.assert_array_equal(scored, np.where(X > 0, 1.0, -1.0))
    np.testing.assert_array_equal(quantizer.codes(X), np.packbits(X > 0, axis=-1))
    np.testing.assert_array_equal(pack_bits(X), quantize_embeddings(X, precision="ubinary"))
    wrapper = CompressionWrapper(fresh_encoder(), OutputDType.BINARY)
    mteb_bits = wrapper._quantize_embeddings(torch.tensor(X)).numpy()
    np.testing.assert_array_equal((scored + 1) / 2, mteb_bits)  # MTEB's 0/1 are the same bits
    d = X.shape[1]
    unit = scored / np.sqrt(d)
    cosine = unit[:50] @ unit[50:100].T
    np.testing.assert_allclose(cosine, 1 - 2 * hamming_distance(X[:50], X[50:100]) / d, atol=1e-6)


# ----------------------------------------------------------------------------------------------
# Variants


def test_quantized_variant_names_in_any_order(mteb_module):
    from mteb_redundancy.models.names import VariantName, parse_variant_name

    want = VariantName(MINILM, "none", 64, "pca", None, "int8")
    assert str(want) == f"{MINILM} (prompt=none, dim=64, reduction=pca, quantization=int8)"
    for spelling in (
        f"{MINILM} (quantization=int8, dim=64, prompt=none, reduction=pca)",
        f"{MINILM}(reduction=pca,quantisation=INT8,embed_dim=64,prompt=none)",
        f"{MINILM} (dim=64, prompt=none, quantization=int8, reduction=pca)",  # MTEB's sorted-key form
    ):
        assert parse_variant_name(spelling) == want
    assert parse_variant_name(f"{MINILM} (prompt=none, quantization=float32)") == VariantName(MINILM, "none")
    meta = mteb_module.get_model_meta(f"{MINILM} (quantization=binary, prompt=none, dim=32)")
    assert meta.name == MINILM and meta.embed_dim == 32
    assert dict(meta.experiment_kwargs) == {"prompt": "none", "dim": 32, "quantization": "binary"}
    assert meta.experiment_name == "dim_32__prompt_none__quantization_binary"
    assert mteb_module.get_model_meta(meta.model_name_with_experiment).experiment_name == meta.experiment_name
    with pytest.raises(Exception, match="quantization"):
        mteb_module.get_model_meta(f"{MINILM} (prompt=none, quantization=int4)")


def test_quantization_that_does_not_apply_fails_before_encoding(mteb_module, tmp_path):
    from mteb_redundancy import EmbeddingCache, get_encoder
    from mteb_redundancy.analyses.sweep.engine import SweepError, run_sweep

    cache = EmbeddingCache(tmp_path / "emb")
    with pytest.raises(SweepError, match="does not apply to RedundancyWikiSmall"):
        run_sweep(MINILM, "none", [8, "full"], "first", ["RedundancyWikiSmall"], tmp_path, device="cpu",
                  embedding_cache=cache, show_progress=False, quantizations=["binary"])
    encoder = get_encoder(f"{MINILM} (prompt=none, quantization=binary)", device="cpu", cache=cache)
    outcome = mteb_module.evaluate(encoder, mteb_module.get_tasks(tasks=["RedundancyWikiSmall"]),
                                   cache=mteb_module.ResultCache(tmp_path / "run"), show_progress_bar=False,
                                   raise_error=False)
    assert "does not apply" in str(outcome.exceptions[0].exception)
    assert encoder.texts_encoded == 0 and not list((tmp_path / "emb").rglob("*.npy"))


# ----------------------------------------------------------------------------------------------
# recommend, end to end


def mock_tasks():
    from mteb.mocks.mock_tasks import MockClassificationTask, MockRetrievalTask, MockSTSTask
    from mteb.mocks.mock_tasks.clustering import MockClusteringTask

    return [c() for c in (MockClassificationTask, MockRetrievalTask, MockClusteringTask, MockSTSTask)]


@pytest.fixture(scope="module")
def recommended(mteb_module, tmp_path_factory):
    from mteb_redundancy import EmbeddingCache
    from mteb_redundancy.analyses.recommend.engine import run_recommend

    output = tmp_path_factory.mktemp("recommend")
    cache = EmbeddingCache(Path(os.environ["MTEB_REDUNDANCY_CACHE"]))
    kwargs = dict(dims=[8, "full"], reductions=["first", "random"], output_folder=output, device="cpu",
                  embedding_cache=cache, show_progress=False)
    first = run_recommend(MINILM, "none", mock_tasks(), KEEP, **kwargs)
    second = run_recommend(MINILM, "none", mock_tasks(), KEEP, **kwargs)
    return first, second, output


def test_full_float32_is_exactly_one_and_choices_keep_the_score(recommended):
    result, _, _ = recommended
    tasks = {row.task for row in result.rows}
    assert len(tasks) == 4
    for task in tasks:
        rows = [r for r in result.rows if r.task == task]
        (full,) = [r for r in rows if r.reduction == "full" and r.quantization == "float32"]
        assert full.relative_score == 1.0 and full.bytes_per_vector == 4 * 384
        # 2 reductions x 1 dim x 3 quantizations, and the full dimension in 3 quantizations
        assert len(rows) == 9 and {r.quantization for r in rows} == {"float32", "int8", "binary"}
        choice = result.choice(task)
        assert choice.config is not None and choice.config.relative_score >= KEEP
        # nothing cheaper keeps the score
        assert all(r.relative_score < KEEP for r in rows if r.bytes_per_vector < choice.config.bytes_per_vector)
        assert choice.saving == pytest.approx(1 - choice.config.bytes_per_vector / 1536)
    for choice in result.choices:
        assert choice.config is None or choice.config.relative_score >= KEEP


def test_quantized_results_are_mteb_experiments_and_score_as_mteb_run(mteb_module, recommended, tmp_path):
    from mteb_redundancy import EmbeddingCache, get_encoder

    result, _, output = recommended
    name = f"{MINILM} (prompt=none, dim=8, reduction=random, quantization=int8)"
    meta = mteb_module.get_model_meta(name)
    (folder,) = (output / "results").glob(f"sentence-transformers__all-MiniLM-L6-v2/*/experiments/{meta.experiment_name}")
    written = json.loads((folder / "model_meta.json").read_text())
    assert written["experiment_kwargs"]["quantization"] == "int8"
    sweep_scores = json.loads((folder / "MockSTSTask.json").read_text())["scores"]
    encoder = get_encoder(name, device="cpu", cache=EmbeddingCache(Path(os.environ["MTEB_REDUNDANCY_CACHE"])))
    task = next(t for t in mock_tasks() if t.metadata.name == "MockSTSTask")
    mteb_module.evaluate(encoder, [task], cache=mteb_module.ResultCache(tmp_path), show_progress_bar=False)
    (alone,) = tmp_path.rglob(f"{meta.experiment_name}/MockSTSTask.json")
    assert json.loads(alone.read_text())["scores"]["test"][0]["main_score"] == pytest.approx(
        sweep_scores["test"][0]["main_score"], abs=1e-9)
    row = next(r for r in result.rows if (r.task, r.reduction, r.dim, r.quantization) == ("MockSTSTask", "random", 8, "int8"))
    assert row.score == pytest.approx(sweep_scores["test"][0]["main_score"], abs=1e-9)


def test_chance_corrected_recommend_says_so_and_corrects_each_task(recommended):
    from mteb_redundancy import EmbeddingCache
    from mteb_redundancy.analyses.recommend.engine import run_recommend

    plain, _, output = recommended
    cache = EmbeddingCache(Path(os.environ["MTEB_REDUNDANCY_CACHE"]))
    result = run_recommend(MINILM, "none", mock_tasks(), KEEP, dims=[8, "full"], reductions=["first", "random"],
                           output_folder=output, device="cpu", embedding_cache=cache, show_progress=False,
                           relative="chance")
    assert result.texts_encoded == 0
    chance = result.chance_levels["MockClassificationTask"]["chance"]
    assert 0 < chance < 1 and result.chance_levels["MockSTSTask"]["chance"] == 0.0
    for row in result.rows:
        level = result.chance_levels[row.task]["chance"]
        full = next(r.score for r in result.rows if r.task == row.task and r.reduction == "full" and r.quantization == "float32")
        if full > level:
            assert row.relative_score == pytest.approx((row.score - level) / (full - level), abs=1e-12)
    assert "Relative score (chance-corrected)" in result.to_markdown()
    assert "Relative score (plain)" in plain.to_markdown()
    assert result.to_csv().splitlines()[1].endswith(",chance")


def test_second_recommend_encodes_nothing(recommended):
    first, second, _ = recommended
    assert second.texts_encoded == 0
    assert {row.status for row in second.sweep.rows} == {"existing"}
    assert [(c.scope, c.config and c.config.bytes_per_vector) for c in second.choices] == [
        (c.scope, c.config and c.config.bytes_per_vector) for c in first.choices
    ]


def test_report_figure_and_tables(recommended, tmp_path):
    from mteb_redundancy.analyses.recommend.report import plot_recommend, write_recommend_report

    result, _, _ = recommended
    paths = write_recommend_report(result, tmp_path / "rec.png")
    assert all(p.stat().st_size > 0 for p in paths)
    figure = plot_recommend(result)
    labels = {line.get_label() for ax in figure.axes for line in ax.get_lines()}
    assert {f"{r} · {q}" for r in ("first", "random") for q in ("float32", "int8", "binary")} <= labels
    markdown = result.to_markdown()
    assert "Spearman" in markdown and "bytes/vector" in markdown
    chosen = [c.config for c in result.choices if c.kind == "task type" and c.config is not None]
    assert chosen and all(f"| **chosen** |" in markdown for _ in chosen)
    csv_text = (tmp_path / "rec.csv").read_text()
    assert csv_text.count("\n") == 1 + len(result.rows) + len(result.type_rows)


def test_bad_input_is_refused_before_encoding(mteb_module, tmp_path, capsys):
    from mteb_redundancy import EmbeddingCache
    from mteb_redundancy.analyses.recommend.engine import RecommendError, run_recommend
    from mteb_redundancy.cli import main

    cache = EmbeddingCache(tmp_path / "emb")
    common = dict(output_folder=tmp_path / "out", device="cpu", embedding_cache=cache, show_progress=False)
    with pytest.raises(RecommendError, match=r"\(0, 1\]"):
        run_recommend(MINILM, "none", ["WikiTopicClassification"], 1.5, **common)
    with pytest.raises(RecommendError, match="no main score that a fraction of can be kept"):
        run_recommend(MINILM, "none", ["WikiTopicClassification", "RedundancyWikiSmall"], 0.99, **common)
    with pytest.raises(RecommendError, match="quantization"):
        run_recommend(MINILM, "none", ["WikiTopicClassification"], 0.99, quantizations=["int4"], **common)
    assert not (tmp_path / "out").exists() and not list((tmp_path / "emb").rglob("*.npy"))
    with pytest.raises(SystemExit) as exit_info:
        main(["recommend", "-m", MINILM, "-t", "WikiTopicClassification", "--keep", "0"])
    assert exit_info.value.code == 2
    assert "(0, 1]" in capsys.readouterr().err


def test_any_intrinsic_dimension_estimator_serves_as_predictor(monkeypatch):
    """A registered estimator the split-half module does not know (a plugin's) runs on each half
    directly, with the same rule."""
    from mteb_redundancy.analyses.recommend import engine
    from mteb_redundancy.estimators import twonn
    from mteb_redundancy.estimators.registry import Estimator
    from mteb_redundancy.plugins import get_registry

    rng = np.random.default_rng(5)
    X = np.tanh(rng.standard_normal((120, 4)) @ rng.standard_normal((4, 64)))
    direct_twonn = Estimator(name="twonn_direct", label="TwoNN ID (direct)", family="intrinsic_dimension",
                             compute=lambda Y, neighbours=None: float(twonn(Y).dimension))
    monkeypatch.setitem(get_registry().estimators, "twonn_direct", direct_twonn)
    assert "twonn_direct" in engine.predictor_names()
    fast = engine.label_free_curve(X, [2, 8, 32], "first", 0.95, "twonn", n_resamples=6)
    direct = engine.label_free_curve(X, [2, 8, 32], "first", 0.95, "twonn_direct", n_resamples=6)
    assert fast[0] == direct[0]
    for a, b in zip(fast[1], direct[1]):
        assert (a["d"], a["relative"], a["low"], a["high"]) == pytest.approx((b["d"], b["relative"], b["low"], b["high"]), rel=1e-9)
