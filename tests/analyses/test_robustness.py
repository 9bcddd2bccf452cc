"""Robustness of Tsukagoshi & Sasano's (2025) redundancy claims: the verdict rule on clouds whose answer is
known, nested size curves from one encoding, a real run of all-MiniLM-L6-v2 on small corpora (report,
figures, JSON; a second run encodes nothing), the command, the study's section, and bad input."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from conftest import MINILM

TYPES = {"retrieval_query": ["q"], "classification": ["c"], "clustering": ["k"]}


def cube(rng, m: int, k: int, n: int = 24) -> np.ndarray:
    """m points uniform in a k-dimensional cube inside R^n: intrinsic dimension k; IsoScore rises with k."""
    X = np.zeros((m, n))
    X[:, :k] = rng.uniform(size=(m, k))
    return X


# ----------------------------------------------------------------------------------------------
# Verdicts (pure)
# ----------------------------------------------------------------------------------------------


def test_the_verdict_rule_and_its_edges():
    from mteb_redundancy.analyses.robustness.verdicts import verdict

    assert verdict(-2.0, -0.5, -1) == "holds"
    assert verdict(0.5, 2.0, -1) == "reversed"
    assert verdict(-1.0, 1.0, -1) == "undecided"
    assert verdict(-1.0, 0.0, -1) == "undecided"  # an interval that touches 0 includes it
    assert verdict(0.0, 0.0, -1) == "undecided"
    assert verdict(0.5, 2.0, +1) == "holds" and verdict(-2.0, -0.5, +1) == "reversed"
    with pytest.raises(ValueError, match="finite interval"):
        verdict(float("nan"), 1.0, -1)
    with pytest.raises(ValueError, match="low 2.0 > high 1.0"):
        verdict(2.0, 1.0, -1)
    with pytest.raises(ValueError, match="direction"):
        verdict(-1.0, 1.0, 0)


def test_verdicts_on_synthetic_clouds_whose_answer_is_known():
    from mteb_redundancy.analyses.robustness.curves import size_curve
    from mteb_redundancy.analyses.robustness.verdicts import claim_verdicts
    from mteb_redundancy.estimators import isoscore, twonn

    rng = np.random.default_rng(0)
    m = 400
    query = cube(rng, m, 8)
    # classification: a 4-dimensional cloud (lower ID and IsoScore: the claim holds); clustering: a
    # 14-dimensional one (higher: reversed)
    clouds = {"q": query, "c": cube(rng, m, 4), "k": cube(rng, m, 14)}
    curve = size_curve(clouds, TYPES, [200, m], corpus="cubes", n_resamples=100)
    found = {(v.m, v.prompt_type, v.estimator): v for p in curve.points for v in claim_verdicts(p, corpus="cubes", estimators=("twonn", "isoscore"))}
    assert len(found) == 2 * 2 * 2
    for (size, prompt_type, estimator), v in found.items():
        assert v.verdict == ("holds" if prompt_type == "classification" else "reversed"), v
        assert v.corpus == "cubes" and v.m == size and v.low <= v.estimate <= v.high
    # the difference at all m is the estimators' own values on the clouds
    full = found[(m, "classification", "twonn")]
    assert full.estimate == pytest.approx(twonn(clouds["c"]).dimension - twonn(query).dimension, rel=1e-9)
    full = found[(m, "clustering", "isoscore")]
    assert full.estimate == pytest.approx(isoscore(clouds["k"]) - isoscore(query), rel=1e-9)

    # the same distribution drawn again for both task prompts: no difference to find
    same = {"q": query, "u": cube(rng, m, 8)}
    curve = size_curve(same, {"retrieval_query": ["q"], "classification": ["u"], "clustering": ["u"]}, [m], n_resamples=100)
    undecided = claim_verdicts(curve.points[0], corpus="cubes", estimators=("twonn", "isoscore"))
    assert [v.verdict for v in undecided] == ["undecided"] * 4
    assert all(v.low < 0 < v.high for v in undecided)


def test_claims_whose_types_share_their_prompts_are_marked():
    from mteb_redundancy.analyses.robustness.curves import size_curve
    from mteb_redundancy.analyses.robustness.verdicts import claim_verdicts

    rng = np.random.default_rng(1)
    clouds = {"query: {text}": cube(rng, 64, 6), "{text}": cube(rng, 64, 6)}
    types = {"retrieval_query": ["query: {text}"], "classification": ["query: {text}"], "clustering": ["{text}"]}
    point = size_curve(clouds, types, [64], n_resamples=20).points[0]
    verdicts = {v.prompt_type: v for v in claim_verdicts(point, corpus="x", estimators=("twonn",), prompts=types)}
    assert verdicts["classification"].same_prompts and (verdicts["classification"].low, verdicts["classification"].high) == (0.0, 0.0)
    assert verdicts["classification"].verdict == "undecided"
    assert not verdicts["clustering"].same_prompts


# ----------------------------------------------------------------------------------------------
# Size curves (pure)
# ----------------------------------------------------------------------------------------------


def test_size_curves_are_nested_and_each_point_is_the_intervals_of_its_own_rows():
    from mteb_redundancy.analyses.redundancy.uncertainty import type_uncertainty
    from mteb_redundancy.analyses.robustness.curves import nested_subsamples, size_curve

    subsets = nested_subsamples(100, [10, 30, 60, 100], seed=3)
    for small, large in zip(subsets, subsets[1:]):
        assert set(small) < set(large)
    order = np.random.default_rng(3).permutation(100)
    assert [set(s) for s in subsets] == [set(order[:m]) for m in (10, 30, 60, 100)]
    assert np.array_equal(subsets[-1], np.arange(100))  # all texts: the rows as they are
    with pytest.raises(ValueError, match="between 1 and the 100 rows"):
        nested_subsamples(100, [101])

    rng = np.random.default_rng(2)
    clouds = {"q": cube(rng, 100, 5), "c": cube(rng, 100, 3), "k": cube(rng, 100, 7)}
    curve = size_curve(clouds, TYPES, [30, 100], n_resamples=20, seed=5, subsample_seed=3, estimators=("twonn",))
    assert curve.sizes == [30, 100]
    rows = nested_subsamples(100, [30], seed=3)[0]
    direct = type_uncertainty({k: X[rows] for k, X in clouds.items()}, TYPES, n_resamples=20, seed=5)
    assert curve.points[0]["prompt_types"]["classification"]["twonn"] == direct["prompt_types"]["classification"]["twonn"]
    assert "isoscore" not in curve.points[0]["prompt_types"]["classification"]  # only the estimators asked for
    # at all texts: the Redundancy task's intervals on the same texts and seed
    whole = type_uncertainty(clouds, TYPES, n_resamples=20, seed=5)
    assert curve.points[1]["differences"][0]["twonn"] == whole["differences"][0]["twonn"]


# ----------------------------------------------------------------------------------------------
# Real runs (all-MiniLM-L6-v2)
# ----------------------------------------------------------------------------------------------


def wiki_corpus(name: str, start: int, n: int, texts=None):
    """A small Redundancy task over leads ``start .. start + n`` of RedundancyWiki's seeded sample (the
    texts the suite's other redundancy tests encode), or over ``texts``."""
    from mteb_redundancy_tasks.redundancy import RedundancyWikiSmall, wiki_sample

    class Corpus(RedundancyWikiSmall):
        metadata = RedundancyWikiSmall.metadata.model_copy(update={"name": name})

        def load_texts(self):
            return list(texts) if texts is not None else wiki_sample(300)[start : start + n]

    return Corpus()


def test_a_real_run_writes_verdicts_curves_figures_and_json_from_one_encoding(mteb_module, tmp_path):
    from mteb_redundancy import EmbeddingCache, get_encoder
    from mteb_redundancy.analyses.robustness.engine import run_robustness
    from mteb_redundancy.estimators import twonn

    cache = EmbeddingCache(tmp_path / "embeddings")
    corpus = wiki_corpus("RobustnessWikiTiny", 0, 24)
    out = tmp_path / "robustness"

    def run():
        return run_robustness(MINILM, "prefix", out, corpora=[corpus], sizes=[12, "all"], n_resamples=20,
                              estimators=("twonn", "isoscore"), prompt_types="all", device="cpu", embedding_cache=cache, show_progress=False)

    result = run()
    # each distinct prompt (E5-style prefixes: "query: ", "passage: ", none) embeds the 24 texts once,
    # whatever the number of sizes
    (measured,) = result.curves
    distinct = {p for prompts in measured.prompts.values() for p in prompts}
    assert len(distinct) >= 3 and result.texts_encoded == len(distinct) * 24
    assert {p.name for p in result.files} == {"robustness.md", "verdicts.csv", "size_curves.csv", "size_curves.png", "verdicts.png", "robustness.json"}
    assert all(p.stat().st_size > 0 for p in result.files)
    for figure in ("size_curves.png", "verdicts.png"):
        assert (out / figure).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    data = json.loads((out / "robustness.json").read_text())
    assert data["variant"] == f"{MINILM} (prompt=prefix)" and "expectation of the estimate at this m" in data["intervals_cover"]
    assert [e["name"] for e in data["estimators"]] == ["twonn", "isoscore"]
    (curve,) = data["corpora"]
    assert curve["corpus"] == "RobustnessWikiTiny" and [p["n_points"] for p in curve["points"]] == [12, 24]
    assert len(data["verdicts"]) == 2 * 2 * 2  # claims x estimators x sizes
    for v in data["verdicts"]:
        assert {"corpus", "estimator", "m", "claim", "verdict", "covers"} <= set(v) and v["verdict"] in {"holds", "reversed", "undecided"}
    # a type given the query's own input (E5-style prefixes) differs from it by 0 by construction
    for v in data["verdicts"]:
        assert v["same_prompts"] == (curve["prompts"][v["prompt_type"]] == curve["prompts"]["retrieval_query"])
        assert not v["same_prompts"] or (v["estimate"], v["low"], v["high"], v["verdict"]) == (0.0, 0.0, 0.0, "undecided")
    # the figure at all texts is TwoNN of that prompt's embeddings
    encoder = get_encoder(f"{MINILM} (prompt=prefix)", device="cpu", cache=cache)
    document = encoder.prompt_for("MSMARCOHardNegatives", "Retrieval", "document")
    X = encoder.embed(corpus.load_texts(), document)
    assert curve["points"][1]["prompt_types"]["retrieval_document"]["twonn"]["estimate"] == pytest.approx(twonn(X).dimension, rel=1e-9)
    assert encoder.texts_encoded == 0

    with open(out / "verdicts.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 8 and {r["m"] for r in rows} == {"12", "24"} and all("expectation" in r["interval_covers"] for r in rows)
    report = (out / "robustness.md").read_text()
    assert "not the paper's finding in general" in report and "| RobustnessWikiTiny | TwoNN ID | 12 |" in report
    assert f"Texts encoded by this run: {result.texts_encoded}" in report

    again = run()
    assert again.texts_encoded == 0
    assert json.loads((out / "robustness.json").read_text())["verdicts"] == data["verdicts"]


def test_sizes_below_the_corpus_encode_only_the_largest_subsample(mteb_module, tmp_path):
    from mteb_redundancy import EmbeddingCache
    from mteb_redundancy.analyses.robustness.engine import run_robustness

    cache = EmbeddingCache(tmp_path / "embeddings")
    corpus = wiki_corpus("RobustnessWikiTiny", 0, 24)

    def run(sizes):
        return run_robustness(MINILM, "prefix", tmp_path / "out", corpora=[corpus], sizes=sizes, n_resamples=20,
                              estimators=("twonn", "isoscore"), device="cpu", embedding_cache=cache,
                              show_progress=False, write=False)

    part = run([12])
    n_prompts = len({p for prompts in part.curves[0].prompts.values() for p in prompts})
    assert part.texts_encoded == n_prompts * 12
    whole = run([12, "all"])  # the other 12 texts of each prompt only
    assert whole.texts_encoded == n_prompts * 12
    assert whole.curves[0].points[0] == part.curves[0].points[0]


def test_the_command_measures_files_of_texts_and_the_study_adds_its_section(mteb_module, tmp_path, capsys):
    from mteb_redundancy.analyses.study.engine import run_study
    from mteb_redundancy.cli import main
    from mteb_redundancy_tasks.redundancy import wiki_sample

    texts = wiki_sample(300)
    files = []
    for i, part in enumerate((texts[:20], texts[20:40])):
        files.append(tmp_path / f"part{i}.txt")
        files[-1].write_text("\n".join(part) + "\n")
    out = tmp_path / "cli"
    code = main(["robustness", "-m", MINILM, "--prompt", "none", "--texts", str(files[0]), "--texts", str(files[1]),
                 "--sizes", "12", "all", "--estimators", "twonn", "--n-resamples", "20", "--device", "cpu",
                 "--output-folder", str(out), "--no-progress"])
    assert code == 0
    data = json.loads((out / "robustness.json").read_text())
    # a file's task is named after its stem and its content's hash
    names = [c["corpus"] for c in data["corpora"]]
    assert [name.rsplit("_", 1)[0] for name in names] == ["Redundancy_part0", "Redundancy_part1"]
    assert {(v["corpus"], v["m"], v["estimator"]) for v in data["verdicts"]} == {
        (c, m, "twonn") for c in names for m in (12, 20)
    }
    assert "texts encoded" in capsys.readouterr().err

    study = run_study(MINILM, "none", tmp_path / "study", tasks=[], redundancy_task=None, displacement_task=None,
                      robustness={"corpora": [wiki_corpus("RobustnessWikiTiny", 0, 20, texts[:20])], "sizes": [12, "all"],
                                  "estimators": ["isoscore"], "n_resamples": 20}, show_progress=False)
    assert study.texts_encoded == 0  # the command above embedded these texts under this prompt
    report = (tmp_path / "study" / "report.md").read_text()
    assert "## Robustness of the redundancy finding" in report and "(robustness/verdicts.png)" in report
    assert (tmp_path / "study" / "robustness" / "verdicts.csv").exists()


# ----------------------------------------------------------------------------------------------
# Bad input: a clear error before any encoding
# ----------------------------------------------------------------------------------------------


def test_bad_input_fails_before_encoding(mteb_module, tmp_path, capsys):
    from mteb_redundancy import EmbeddingCache
    from mteb_redundancy.analyses.robustness.engine import RobustnessError, run_robustness
    from mteb_redundancy.analyses.study.engine import run_study
    from mteb_redundancy.cli import main

    cache = EmbeddingCache(tmp_path / "embeddings")
    out = tmp_path / "out"
    corpus = wiki_corpus("RobustnessWikiTiny", 0, 20)

    def run(model=MINILM, prompt="prefix", **kwargs):
        kwargs.setdefault("corpora", [corpus])
        kwargs.setdefault("estimators", ["twonn", "isoscore"])  # MLE's 20 neighbours need more texts than these
        return run_robustness(model, prompt, out, embedding_cache=cache, show_progress=False, **kwargs)

    with pytest.raises(RobustnessError, match=r"Unknown estimator 'twonm'\. Did you mean 'twonn'\?"):
        run(estimators=["twonm"])
    with pytest.raises(RobustnessError, match="m = 50 is larger than RobustnessWikiTiny, which has 20 distinct texts"):
        run(sizes=[10, 50])
    with pytest.raises(RobustnessError, match="m = 6 is too few texts"):
        run(sizes=[6, 20])
    with pytest.raises(RobustnessError, match="whole numbers"):
        run(sizes=["1e3"])
    with pytest.raises(RobustnessError, match="n_resamples must be a whole number of at least 2"):
        run(n_resamples=1)
    few = wiki_corpus("FewDistinct", 0, 0, texts=["a cat", "a dog", "a cat", "a bird", "a fish", "a dog", "a cow", "an owl"])
    with pytest.raises(RobustnessError, match="FewDistinct has 6 distinct texts; TwoNN ID needs at least 8"):
        run(corpora=[few])
    with pytest.raises(RobustnessError, match="has no prompt style 'prompteol'"):
        run(prompt="prompteol")
    with pytest.raises(RobustnessError, match="No mteb-redundancy plugin registered the model 'sentence-transformers/all-MiniLM-L6'"):
        run(model="sentence-transformers/all-MiniLM-L6")
    with pytest.raises(RobustnessError, match=r"Unknown corpus 'RedundancyWikiSmal'\. Did you mean 'RedundancyWikiSmall'"):
        run(corpora=["RedundancyWikiSmal"])
    with pytest.raises(RobustnessError, match="is a Classification task, not a Redundancy task"):
        run(corpora=[mteb_module.get_task("WikiTopicClassification")])
    with pytest.raises(RobustnessError, match=r"Unknown estimator 'twonm'"):
        run_study(MINILM, "prefix", tmp_path / "study", robustness={"estimators": ["twonm"]})

    assert main(["robustness", "-m", MINILM, "--prompt", "prefix", "--corpora", "RedundancyWikiSmal",
                 "--output-folder", str(out)]) == 2
    assert "Did you mean 'RedundancyWikiSmall'" in capsys.readouterr().err
    # nothing was encoded or written
    assert not out.exists() and not (tmp_path / "study").exists() and not (tmp_path / "embeddings").exists()


def test_by_default_only_the_prompt_types_the_claims_compare_are_encoded(mteb_module, tmp_path):
    """The verdicts compare classification and clustering with the retrieval query: by default a run
    encodes those three types only (the document and no-prompt clouds decide nothing); an unknown type
    or one that leaves out a claim's type is refused before any encoding."""
    from mteb_redundancy import EmbeddingCache
    from mteb_redundancy.analyses.robustness.engine import RobustnessError, claim_prompt_types, run_robustness

    assert claim_prompt_types() == ("retrieval_query", "classification", "clustering")
    cache = EmbeddingCache(tmp_path / "embeddings")
    corpus = wiki_corpus("RobustnessWikiTypes", 0, 24)
    result = run_robustness(MINILM, "instruction", tmp_path / "out", corpora=[corpus], sizes=["all"], n_resamples=20,
                            estimators=("twonn",), device="cpu", embedding_cache=cache, show_progress=False)
    (curve,) = result.curves
    assert set(curve.prompts) == {"retrieval_query", "classification", "clustering"}
    assert result.texts_encoded == len({p for ps in curve.prompts.values() for p in ps}) * 24
    for bad in (["retrieval_query", "classification"], ["retrieval_query", "classification", "clustering", "summary"]):
        with pytest.raises(RobustnessError):
            run_robustness(MINILM, "instruction", tmp_path / "bad", corpora=[corpus], sizes=["all"], prompt_types=bad,
                           embedding_cache=EmbeddingCache(tmp_path / "bad-cache"), show_progress=False)
    assert not (tmp_path / "bad-cache").exists() or not list((tmp_path / "bad-cache").rglob("*.npy"))
