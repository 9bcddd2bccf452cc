"""The estimator contract: the one nearest-neighbour core answers exactly for any subset of the rows;
every built-in estimator equals scikit-dimension's (or the IsoScore package) on real embeddings and
has its bias the documented way on synthetic data with a known intrinsic dimension; the split-half
intervals equal a recomputation on each half; and an estimator a plugin registers (this module is
that plugin: one Estimator and one registration) appears in a real Redundancy result with its interval.
"""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest

from mteb_redundancy.estimators import isoscore, lpca, mle, twonn
from mteb_redundancy.estimators.bootstrap import _split_half_interval, paired_bootstrap, quarter_masks, split_masks
from mteb_redundancy.estimators.builtin import BUILT_IN_ESTIMATORS
from mteb_redundancy.estimators.neighbours import NeighbourLists, distinct_groups
from mteb_redundancy.estimators.registry import Estimator, find_estimator
from mteb_redundancy.hookspecs import hookimpl

BASE = "sentence-transformers/all-MiniLM-L6-v2"


# ----------------------------------------------------------------------------------------------
# The test plugin: one estimator, one registration
# ----------------------------------------------------------------------------------------------


def _mle_10(X, neighbours=None):
    return mle(X, 10, neighbours=neighbours)


MLE_10 = Estimator(
    name="mle10",
    label="MLE ID (10 neighbours)",
    family="intrinsic_dimension",
    compute=_mle_10,
    n_neighbors=10,
    reference="skdim.id.MLE().fit(X, n_neighbors=10).dimension_",
)


@hookimpl
def register_estimators(register):
    register(MLE_10)


# ----------------------------------------------------------------------------------------------
# Helpers
# ----------------------------------------------------------------------------------------------


def _points_with_hard_cases(seed=0, m=700, n=24):
    """Exact duplicates (one written with -0.0), near-duplicates, exact ties on a lattice far from the origin."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((m, n))
    X[::53] = X[1::53][: len(X[::53])]
    near = rng.choice(m, 40, replace=False)
    X[near] = X[rng.choice(m, 40)] + 3e-8 * rng.standard_normal((40, n))
    lattice = np.stack(np.meshgrid(*[np.arange(4.0)] * 3), -1).reshape(-1, 3) * 0.25
    ties = np.zeros((len(lattice), n))
    ties[:, :3] = lattice + 5.0
    X = np.vstack([X, ties])
    X[0] = 0.0
    X[1] = -0.0
    return X


def _brute_nearest(P, k):
    """Each row's k smallest distances to the other rows, measured directly in float64."""
    out = np.empty((len(P), k))
    for i in range(len(P)):
        diff = P - P[i]
        d = np.sqrt(np.einsum("ij,ij->i", diff, diff))
        d[i] = np.inf
        out[i] = np.sort(d)[:k]
    return out


def _dedup(X):
    return X[distinct_groups(np.asarray(X, dtype=np.float64))[0]]


def _on_sphere(rng, m, k, n=40):
    """Uniform on the unit k-sphere (intrinsic dimension k) in a random (k+1)-subspace of R^n."""
    S = rng.standard_normal((m, k + 1))
    S /= np.linalg.norm(S, axis=1, keepdims=True)
    Q, _ = np.linalg.qr(rng.standard_normal((n, k + 1)))
    return S @ Q.T


def _in_cube(rng, m, k, n=40):
    """Uniform in the unit k-cube (intrinsic dimension k) in a random k-subspace of R^n."""
    Q, _ = np.linalg.qr(rng.standard_normal((n, k)))
    return rng.uniform(size=(m, k)) @ Q.T


# ----------------------------------------------------------------------------------------------
# The neighbour core
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("precision", ["float32", "float64"])
@pytest.mark.parametrize("k", [2, 5, 20])
def test_neighbour_lists_answer_exactly_for_any_subset_of_the_rows(precision, k):
    X = _points_with_hard_cases()
    lists = NeighbourLists(X, 8, precision=precision, block_size=128)  # short lists: subsets need the exact search
    reps = lists.reps
    assert lists.n_duplicates_dropped == len(X) - len(_dedup(X)) > 0
    rng = np.random.default_rng(k)
    fallbacks = 0
    for fraction in (1.0, 0.5, 0.1):
        rows = rng.random(len(X)) < fraction if fraction < 1 else np.ones(len(X), dtype=bool)
        present = lists.present_from_rows(rows)
        nearest = lists.nearest(k, present)
        expected = _brute_nearest(X[reps[present]], k)
        np.testing.assert_array_equal(nearest.distances, expected)
        # the indices name present distinct points at those distances
        sel = np.flatnonzero(present)
        assert present[nearest.indices].all()
        measured = np.linalg.norm(lists.points[nearest.indices] - lists.points[sel][:, None, :], axis=2)
        np.testing.assert_allclose(measured, expected, rtol=1e-12, atol=0)
        fallbacks += nearest.n_exact_fallbacks
    assert fallbacks > 0  # the exact search did run, and agreed


def test_one_neighbour_computation_serves_twonn_and_mle_like_their_own():
    rng = np.random.default_rng(4)
    X = _on_sphere(rng, 800, 6)
    view = NeighbourLists(X, 20).view()
    assert twonn(X).dimension == pytest.approx(BUILT_IN_ESTIMATORS[0].compute(X, view), rel=1e-14)
    assert mle(X) == pytest.approx(mle(X, neighbours=view), rel=1e-14)


# ----------------------------------------------------------------------------------------------
# Against scikit-dimension on real embeddings
# ----------------------------------------------------------------------------------------------


@pytest.fixture
def wiki_embeddings(load_variant, wiki_texts):
    """all-MiniLM-L6-v2 on 400 Wikipedia leads (no prompt), float64."""
    model = load_variant(f"{BASE} (prompt=none)")
    return np.asarray(model.embed(wiki_texts[:400], model.prompt_for("AnyTask", "Retrieval", "document")), dtype=np.float64)


def test_every_built_in_estimator_equals_its_reference_on_real_embeddings(wiki_embeddings):
    skdim = pytest.importorskip("skdim")
    package = pytest.importorskip("IsoScore.IsoScore")
    X = wiki_embeddings
    distinct = _dedup(X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        references = {
            "twonn": skdim.id.TwoNN().fit(distinct).dimension_,
            "isoscore": float(package.IsoScore(X)),
            "mle": skdim.id.MLE().fit(distinct).dimension_,
            "lpca": skdim.id.lPCA().fit(X).dimension_,
        }
    assert {est.name for est in BUILT_IN_ESTIMATORS} == set(references)
    for est in BUILT_IN_ESTIMATORS:
        assert est.compute(X) == pytest.approx(references[est.name], rel=1e-6), est.name
    assert mle(X, 10) == pytest.approx(skdim.id.MLE().fit(distinct, n_neighbors=10).dimension_, rel=1e-6)
    assert 5 < mle(X) < 60 and lpca(X) == int(lpca(X)) > 1


# ----------------------------------------------------------------------------------------------
# Synthetic data with a known intrinsic dimension: the bias goes the documented way
# ----------------------------------------------------------------------------------------------


def test_mle_is_close_at_low_dimension_and_underestimates_high_dimensions():
    rng = np.random.default_rng(0)
    assert mle(_on_sphere(rng, 2000, 2)) == pytest.approx(2.0, rel=0.05)
    for k in (8, 12):
        for cloud in (_on_sphere(rng, 2000, k), _in_cube(rng, 2000, k)):
            value = mle(cloud)
            assert 0.6 * k < value < k  # below the truth, as for TwoNN at finite m
    # growing with the true dimension
    assert mle(_in_cube(rng, 2000, 4)) < mle(_in_cube(rng, 2000, 8)) < mle(_in_cube(rng, 2000, 12))


@pytest.mark.parametrize("k", [2, 5, 9])
def test_lpca_counts_a_flat_piece_exactly_and_overcounts_a_curved_one(k):
    rng = np.random.default_rng(k)
    assert lpca(_in_cube(rng, 1000, k)) == k
    assert lpca(_on_sphere(rng, 1000, k)) == k + 1  # the curvature spans one more linear dimension


def test_estimators_are_scale_free_as_declared():
    X = _on_sphere(np.random.default_rng(5), 600, 4)
    for est in BUILT_IN_ESTIMATORS:
        assert est.scale_free
        assert est.compute(X * 1e-22) == pytest.approx(est.compute(X), rel=1e-9), est.name
        assert est.compute(X * 3e21) == pytest.approx(est.compute(X), rel=1e-9), est.name


# ----------------------------------------------------------------------------------------------
# Split-half intervals over registered estimators
# ----------------------------------------------------------------------------------------------


def test_split_half_interval_equals_a_recomputation_on_each_half():
    rng = np.random.default_rng(6)
    X = _on_sphere(rng, 301, 5)  # odd m: one row sits each split out
    X[250:270] = X[10:30]  # duplicates, which the neighbour-based estimators drop
    estimators = (*BUILT_IN_ESTIMATORS, MLE_10)
    result = paired_bootstrap({"x": X}, n_resamples=4, seed=2, statistics=estimators)
    masks = split_masks(301, 4, 2) + quarter_masks(301, 4, 2)  # halves, then quarters
    for est in estimators:
        sets = np.array([[est.compute(X[mask[:, r]]) for mask in masks] for r in range(4)])
        np.testing.assert_allclose(result.replicates["x"][est.name], sets, rtol=1e-10, err_msg=est.name)
        expected = _split_half_interval(est.compute(X), sets, result.confidence)
        got = result.interval("x", est.name)
        for attribute in ("estimate", "low", "high"):
            assert getattr(got, attribute) == pytest.approx(getattr(expected, attribute), rel=1e-10), est.name
    assert result.n_distinct["x"] == 281


def test_a_degenerate_fit_raises_and_a_degenerate_half_counts_as_a_failed_split():
    with pytest.raises(ValueError, match="slope is undefined"):
        twonn(_evenly_spaced(12))
    X = np.random.default_rng(7).standard_normal((8, 3))
    # halves of 4 points keep int(4 * 0.4) = 1 ratio: the fit is undefined there, not on all 8 rows
    result = paired_bootstrap({"x": X}, n_resamples=5, statistics=("twonn",), discard_fraction=0.6)
    assert result.n_failed["x"]["twonn"] == 5
    interval = result.interval("x", "twonn")
    assert np.isfinite(interval.estimate) and np.isnan(interval.low)


def _evenly_spaced(m):
    """m evenly spaced points on a line: but for the two ends (mu = 2, discarded as the largest
    ratios), every point's two nearest neighbours are equidistant (mu = 1)."""
    return np.stack([np.arange(float(m)), np.zeros(m)], axis=1)


# ----------------------------------------------------------------------------------------------
# The registry
# ----------------------------------------------------------------------------------------------


def test_the_registry_lists_built_ins_in_order_and_names_close_ones_for_an_unknown_name():
    from mteb_redundancy.plugins import get_estimator, registered_estimators

    names = [est.name for est in registered_estimators()]
    assert names[:4] == ["twonn", "isoscore", "mle", "lpca"]
    assert get_estimator("MLE") is BUILT_IN_ESTIMATORS[2]
    with pytest.raises(ValueError, match=r"Unknown estimator 'twonm'. Did you mean 'twonn'\?"):
        get_estimator("twonm")
    with pytest.raises(ValueError, match="Did you mean 'lpca'"):
        find_estimator("lpcaa", BUILT_IN_ESTIMATORS)
    with pytest.raises(ValueError, match="lower-case identifier"):
        Estimator(name="My ID", label="x", family="intrinsic_dimension", compute=len)
    with pytest.raises(ValueError, match="family"):
        Estimator(name="x", label="x", family="entropy", compute=len)


def test_an_unknown_predictor_for_recommend_is_a_clear_error():
    from mteb_redundancy.analyses.recommend.engine import RecommendError, run_recommend

    with pytest.raises(RecommendError, match="Did you mean 'mle'"):
        run_recommend(BASE, "none", predictor="mlee")


@pytest.fixture
def with_test_plugin(monkeypatch):
    """This module registered as a plugin, through the same hook a distributed plugin uses."""
    from mteb_redundancy import plugins

    monkeypatch.setattr(plugins, "DEFAULT_PLUGINS", (*plugins.DEFAULT_PLUGINS, __name__))
    registry = plugins.get_registry(reload=True)
    assert registry.estimator_plugins["mle10"] == __name__
    yield registry
    monkeypatch.undo()
    plugins.get_registry(reload=True)


def test_a_plugins_estimator_appears_in_a_redundancy_result_with_its_interval(
    with_test_plugin, load_variant, mteb_module, wiki_texts, tmp_path
):
    from mteb_redundancy.analyses.redundancy.task_type import AbsTaskRedundancy

    texts = wiki_texts[:150]

    class PluginEstimatorWiki(AbsTaskRedundancy):
        metadata = mteb_module.get_task("RedundancyWikiSmall").metadata.model_copy(update={"name": "PluginEstimatorWiki"})
        prompt_types = ("none", "retrieval_query")
        main_prompt_type = "retrieval_query"

        def load_texts(self):
            return texts

    model = load_variant(f"{BASE} (prompt=prefix)")
    result = mteb_module.evaluate(model, [PluginEstimatorWiki()], cache=mteb_module.ResultCache(tmp_path))
    assert not result.exceptions, result.exceptions
    scores = result.task_results[0].scores["test"][0]
    X = np.asarray(model.embed(texts, model.prompt_for("NQHardNegatives", "Retrieval", "query")), dtype=np.float64)
    # its column, its value, its interval, its paired difference and its curve, next to the built-ins'
    for name in ("twonn", "isoscore", "mle", "lpca", "mle10"):
        assert f"{name}_retrieval_query" in scores and f"{name}_none" in scores
    # the query type may mean several instructions; its figure is their mean, each one's value is listed
    per_instruction = scores["prompt_types"]["retrieval_query"]["per_instruction"]
    assert all("mle10" in entry for entry in per_instruction)
    assert scores["mle10_retrieval_query"] == pytest.approx(np.mean(list({e["prompt"]: e["mle10"] for e in per_instruction}.values())))
    nq = next(e for e in per_instruction if e["task"] == "NQHardNegatives")
    assert nq["mle10"] == pytest.approx(mle(X, 10), rel=1e-9)
    interval = scores["uncertainty"]["prompt_types"]["retrieval_query"]["mle10"]
    assert interval["estimate"] == pytest.approx(scores["mle10_retrieval_query"], rel=1e-12)
    assert interval["low"] < interval["estimate"] < interval["high"]
    assert {"name": "mle10", "label": "MLE ID (10 neighbours)", "digits": 2} in scores["uncertainty"]["statistics"]
    assert "mle10" in scores["uncertainty"]["differences"][0]
    assert all("mle10" in point for point in scores["prompt_types"]["none"]["by_dimension"])
    from mteb_redundancy.analyses.redundancy.uncertainty import finding

    assert "MLE ID (10 neighbours)" in finding(scores["uncertainty"], "none")


def test_lpca_on_row_subsets_equals_lpca_recomputed_on_each_subset():
    """The intervals' fast path (one Gram matrix per cloud, double-centred blocks) gives exactly the
    count lPCA gives on the subset's own rows, with more rows or more coordinates than the other."""
    import numpy as np

    from mteb_redundancy.estimators.lpca import ESTIMATOR, lpca

    rng = np.random.default_rng(3)
    for m, n in ((400, 96), (120, 300)):
        X = np.tanh(rng.standard_normal((m, 12)) @ rng.standard_normal((12, n))) + 0.05 * rng.standard_normal((m, n))
        on_rows = ESTIMATOR.on_rows(X)
        for share in (0.25, 0.5, 0.9):
            for _ in range(20):
                rows = rng.random(m) < share
                assert on_rows(rows) == lpca(X[rows])
