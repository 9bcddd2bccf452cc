"""Instruction displacement (docs/methods.md: instruction displacement): the task type through real MTEB with real
all-MiniLM-L6-v2, the cross-model map command, and user query files. The alignment math itself is
tested in estimators/test_procrustes_pca_mds.py.

Tests that import a task module take the ``mteb_module`` fixture first: importing a task module
before ``mteb`` makes the import hook register the plugins while that module is half-initialized.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
from conftest import MINILM

INSTRUCTION = f"{MINILM} (prompt=instruction)"
INSTRUCTION_64 = f"{MINILM} (prompt=instruction, dim=64)"
TASK = "InstructionDisplacementWiki"


def per_query_cosine_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = a / np.linalg.norm(a, axis=1, keepdims=True)
    b = b / np.linalg.norm(b, axis=1, keepdims=True)
    return 1.0 - np.sum(a * b, axis=1)


# --------------------------------------------------------------------------------------------
# prompts per condition (no model)
# --------------------------------------------------------------------------------------------
def test_condition_prompts_follow_the_prompt_style():
    from mteb_redundancy.analyses.displacement.conditions import (
        DISPLACEMENT_CONDITIONS,
        prompts_for_style,
    )
    from mteb_redundancy.default_plugins.models import NOMIC_PREFIXES

    sts = DISPLACEMENT_CONDITIONS["STS"]
    instruction = prompts_for_style("instruction", DISPLACEMENT_CONDITIONS)
    assert instruction["Base"].apply("x") == "x"
    assert instruction["STS"].apply("x") == f"Instruct: {sts}\nQuery: x"
    instructor = prompts_for_style("instructor", DISPLACEMENT_CONDITIONS)
    assert instructor["STS"].prefix.startswith(sts) and instructor["STS"].pool_text_only
    assert instructor["Base"].apply("x") == "x" and not instructor["Base"].pool_text_only
    # no instruction slot: every condition is one and the same input
    for style in ("none", "prompteol"):
        assert len({p.key for p in prompts_for_style(style, DISPLACEMENT_CONDITIONS).values()}) == 1
    # prefix: the condition's task-kind prefix on the query side, Base without a prefix
    nomic = prompts_for_style("prefix", DISPLACEMENT_CONDITIONS, prefixes=NOMIC_PREFIXES)
    assert nomic["Base"].apply("x") == "x"
    assert nomic["Retrieval"].apply("x") == "search_query: x"
    assert nomic["Reranking"].apply("x") == "classification: x"  # as MTEB's nomic wrapper, both sides
    assert nomic["Classification"].apply("x") == "classification: x"
    assert nomic["Clustering"].apply("x") == "clustering: x"


def test_condition_tables_are_checked():
    from mteb_redundancy.analyses.displacement.conditions import validate_conditions

    with pytest.raises(ValueError, match="Exactly one condition"):
        validate_conditions({"A": "do a", "B": "do b"})
    with pytest.raises(ValueError, match="Exactly one condition"):
        validate_conditions({"A": None, "B": None, "C": "do c"})
    with pytest.raises(ValueError, match="at least one instructed"):
        validate_conditions({"Base": None})
    with pytest.raises(ValueError, match="non-empty string"):
        validate_conditions({"Base": None, "STS": "  "})


def test_wiki_queries_are_unique_descriptions_chosen_reproducibly(mteb_module):
    from mteb_redundancy_tasks.data import WIKI_SHA256, wiki_leads
    from mteb_redundancy_tasks.displacement import (
        InstructionDisplacementWiki,
        wiki_description_queries,
    )

    queries = wiki_description_queries()
    assert len(queries) == 200 == len(set(queries))
    assert queries == sorted(queries) == wiki_description_queries()
    counts: dict[str, int] = {}
    for lead in wiki_leads():
        if lead.description:
            key = lead.description.casefold()
            counts[key] = counts.get(key, 0) + 1
    assert all(counts.get(q.casefold()) == 1 for q in queries)
    assert wiki_description_queries(seed=2) != queries
    assert InstructionDisplacementWiki.metadata.revision == WIKI_SHA256
    assert InstructionDisplacementWiki.metadata.type == "InstructionDisplacement"


# --------------------------------------------------------------------------------------------
# one model through MTEB
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def wiki_run(mteb_module, tmp_path_factory):
    """One real `mteb.evaluate` of the Wiki task on the instruction variant, results saved."""
    from mteb_redundancy import get_encoder

    mteb = mteb_module
    results_dir = tmp_path_factory.mktemp("results")
    encoder = get_encoder(INSTRUCTION, device="cpu")
    task = mteb.get_task(TASK)
    mteb.evaluate(encoder, [task], cache=mteb.ResultCache(results_dir), co2_tracker=False)
    return results_dir


def _scores(mteb, results_dir, model=INSTRUCTION):
    results = mteb.ResultCache(results_dir).load_results(models=[model], tasks=[TASK], include_remote=False)
    (model_result,) = results.model_results
    (task_result,) = model_result.task_results
    (scores,) = task_result.scores["test"]
    return task_result, scores


def test_instruction_variant_moves_every_instructed_condition(mteb_module, wiki_run):
    from mteb_redundancy.analyses.displacement.conditions import DISPLACEMENT_CONDITIONS

    task_result, scores = _scores(mteb_module, wiki_run)
    assert task_result.task_name == TASK
    instructed = [c for c in DISPLACEMENT_CONDITIONS if c != "Base"]
    for measure in ("mean_cosine_distance", "centroid_shift", "centroid_cosine_distance"):
        assert scores[f"Base_{measure}"] == 0.0
        assert scores[f"Base_pca_{measure}"] == 0.0
        for condition in instructed:
            assert scores[f"{condition}_{measure}"] > 1e-3, (condition, measure)
            assert scores[f"{condition}_pca_{measure}"] > 1e-3, (condition, measure)
    expected_main = np.mean([scores[f"{c}_mean_cosine_distance"] for c in instructed])
    assert scores["main_score"] == pytest.approx(expected_main, abs=1e-6)
    assert scores["main_score"] == scores["mean_displacement"]
    # the basis is fitted on the 200 Base embeddings (Ogawa et al.), so k is capped at 200 - 1
    assert (scores["pca_k"], scores["pca_k_requested"], scores["pca_capped"]) == (199, 200, True)
    assert (scores["pca_fit"], scores["row_normalization"]) == ("base", "l2")
    assert scores["n_queries"] == 200 and scores["embedding_dim"] == 384
    assert scores["instruction_slot"] is True
    assert scores["conditions"]["STS"]["prompt"].startswith("Instruct: " + DISPLACEMENT_CONDITIONS["STS"])


def test_displacement_matches_sentence_transformers_directly(mteb_module, wiki_run, raw_minilm):
    """The STS number, recomputed from sentence-transformers' own model with the template by hand."""
    from mteb_redundancy_tasks.displacement import wiki_description_queries

    from mteb_redundancy.analyses.displacement.conditions import DISPLACEMENT_CONDITIONS

    _, scores = _scores(mteb_module, wiki_run)
    queries = wiki_description_queries()
    base = raw_minilm.encode(queries, convert_to_numpy=True)
    sts = raw_minilm.encode(
        [f"Instruct: {DISPLACEMENT_CONDITIONS['STS']}\nQuery: {q}" for q in queries], convert_to_numpy=True
    )
    expected = per_query_cosine_distance(base.astype(np.float64), sts.astype(np.float64)).mean()
    assert scores["STS_mean_cosine_distance"] == pytest.approx(expected, rel=1e-4)
    shift = np.linalg.norm(sts.mean(axis=0) - base.mean(axis=0))
    assert scores["STS_centroid_shift"] == pytest.approx(shift, rel=1e-4)


def test_reduced_variant_reports_the_capped_pca_and_reuses_the_cache(mteb_module, wiki_run, tmp_path):
    from mteb_redundancy import get_encoder

    mteb = mteb_module
    encoder = get_encoder(INSTRUCTION_64, device="cpu")
    mteb.evaluate(encoder, [mteb.get_task(TASK)], cache=mteb.ResultCache(tmp_path), co2_tracker=False)
    assert encoder.texts_encoded == 0  # every full-dimension vector came from the instruction variant's run
    _, scores = _scores(mteb, tmp_path, INSTRUCTION_64)
    assert scores["embedding_dim"] == 64
    assert (scores["pca_k"], scores["pca_capped"]) == (64, True)
    assert scores["Base_mean_cosine_distance"] == 0.0
    assert scores["STS_mean_cosine_distance"] > 1e-3


# --------------------------------------------------------------------------------------------
# the map command
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("figure, table", [("map.svg", "map.md"), ("map.png", "map.csv")])
def test_displacement_map_command_writes_figures_and_table(mteb_module, wiki_run, tmp_path, capsys, figure, table):
    from mteb_redundancy.analyses.displacement.map import read_distance_table
    from mteb_redundancy.cli import main

    out, table_path = tmp_path / figure, tmp_path / table
    code = main(["displacement-map", "-m", INSTRUCTION, "-m", INSTRUCTION_64, "--plot", str(out), "--table", str(table_path)])
    assert code == 0, capsys.readouterr().err
    heatmap = tmp_path / f"map-distances{out.suffix}"
    for path in (out, heatmap):
        data = path.read_bytes()
        assert data.startswith(b"\x89PNG") if path.suffix == ".png" else b"<svg" in data[:2000]
    names, D = read_distance_table(table_path)
    assert names == [INSTRUCTION, INSTRUCTION_64]
    assert D.shape == (2, 2)
    assert np.all(np.diag(D) == 0.0)
    assert np.all(D[~np.eye(2, dtype=bool)] > 1e-3)
    printed = capsys.readouterr().out
    assert "Reference model:" in printed and str(out) in printed
    if table_path.suffix == ".csv":
        points = (tmp_path / "map-points.csv").read_text().splitlines()
        assert len(points) == 1 + 2 * 6  # header + (2 models x 6 conditions)


def test_map_reads_embeddings_from_the_cache(wiki_run):
    from mteb_redundancy import get_encoder
    from mteb_redundancy.analyses.displacement.map import task_inputs
    from mteb_redundancy.analyses.displacement.measure import embed_conditions

    inputs = task_inputs(TASK)
    encoder = get_encoder(INSTRUCTION, device="cpu")
    embeddings = embed_conditions(encoder, inputs.queries, inputs.conditions, task_name=inputs.task_name)
    assert encoder.texts_encoded == 0
    assert list(embeddings) == list(inputs.conditions)


def test_map_names_close_models_for_an_unknown_one(mteb_module, tmp_path, capsys):
    from mteb_redundancy.cli import main

    typo = f"{MINILM.replace('L6-v2', 'L6-v3')} (prompt=instruction)"
    code = main(["displacement-map", "-m", INSTRUCTION, "-m", typo, "--plot", str(tmp_path / "m.png")])
    err = capsys.readouterr().err
    assert code == 2
    assert typo in err and INSTRUCTION in err  # the closest registered name is offered
    code = main(["displacement-map", "-m", INSTRUCTION, "--reference", f"{MINILM} (prompt=instructon)", "--plot", str(tmp_path / "m.png")])
    err = capsys.readouterr().err
    assert code == 2 and f"Did you mean {INSTRUCTION!r}" in err
    assert not (tmp_path / "m.png").exists()


# --------------------------------------------------------------------------------------------
# a user's own queries and conditions
# --------------------------------------------------------------------------------------------
USER_CONDITIONS = {
    "Base": None,
    "STS": "Given a query, find the passage whose meaning is most similar to it",
    "Legal": "Given a legal question, retrieve relevant statutes",
}


@pytest.fixture(scope="module")
def user_files(mteb_module, tmp_path_factory):
    from mteb_redundancy_tasks.displacement import wiki_description_queries

    queries = wiki_description_queries(n=24, seed=7)
    folder = tmp_path_factory.mktemp("queries")
    text_file = folder / "queries.txt"
    text_file.write_text("\n".join(queries) + "\n\n", encoding="utf-8")
    json_file = folder / "queries.json"
    json_file.write_text(json.dumps({"queries": queries, "conditions": USER_CONDITIONS}), encoding="utf-8")
    return queries, text_file, json_file


def test_user_query_file_task(mteb_module, user_files, load_variant, tmp_path):
    from mteb_redundancy_tasks.displacement import displacement_task_from_file

    mteb = mteb_module
    queries, text_file, json_file = user_files
    from_text = displacement_task_from_file("MyDisplacementTxt", text_file, conditions=USER_CONDITIONS)
    from_json = displacement_task_from_file("MyDisplacementJson", json_file)
    assert from_json.conditions == from_text.conditions == USER_CONDITIONS
    assert from_text.metadata.revision == hashlib.sha256(text_file.read_bytes()).hexdigest()
    assert from_text().load_queries() == from_json().load_queries() == queries

    encoder = load_variant(INSTRUCTION)
    mteb.evaluate(encoder, [from_json()], cache=mteb.ResultCache(tmp_path), co2_tracker=False)
    results = mteb.ResultCache(tmp_path).load_results(models=[INSTRUCTION], include_remote=False)
    (scores,) = results.model_results[0].task_results[0].scores["test"]
    assert set(scores["conditions"]) == set(USER_CONDITIONS)
    assert scores["Base_mean_cosine_distance"] == 0.0
    assert scores["Legal_mean_cosine_distance"] > 1e-3 and scores["STS_mean_cosine_distance"] > 1e-3
    assert scores["n_queries"] == len(queries)
    assert scores["pca_k"] == min(200, len(queries) - 1) and scores["pca_capped"]
    assert scores["conditions"]["Legal"]["instruction"] == USER_CONDITIONS["Legal"]

    # a model without an instruction slot: nothing moves, and the result says why
    none_scores = from_json().evaluate(load_variant(f"{MINILM} (prompt=none)"), encode_kwargs={})["default"]
    assert none_scores["mean_displacement"] == 0.0 and none_scores["Legal_pca_mean_cosine_distance"] == 0.0
    assert none_scores["instruction_slot"] is False and "no instruction slot" in none_scores["note"]


def test_generic_mteb_encoder_gets_the_instruction_as_task_prompt(mteb_module, user_files, minilm_path, load_variant):
    """An MTEB instruction model (not an mteb-redundancy variant) with the same template gives the
    same displacement as the instruction variant."""
    from mteb.models.instruct_wrapper import InstructSentenceTransformerModel
    from mteb_redundancy_tasks.displacement import displacement_task_from_file

    from mteb_redundancy.models.styles import INSTRUCTION_TEMPLATE

    _, _, json_file = user_files
    task_class = displacement_task_from_file("MyDisplacementGeneric", json_file)
    generic = InstructSentenceTransformerModel(
        str(minilm_path), revision=None, device="cpu", instruction_template=INSTRUCTION_TEMPLATE, local_files_only=True
    )
    generic_scores = task_class().evaluate(generic, encode_kwargs={"batch_size": 32})["default"]
    variant_scores = task_class().evaluate(load_variant(INSTRUCTION), encode_kwargs={})["default"]
    assert generic_scores["prompt_style"] == "mteb-task-prompt"
    for condition in USER_CONDITIONS:
        for measure in ("mean_cosine_distance", "centroid_shift", "pca_mean_cosine_distance"):
            key = f"{condition}_{measure}"
            assert generic_scores[key] == pytest.approx(variant_scores[key], abs=1e-5), key
    assert generic_scores["Legal_mean_cosine_distance"] > 1e-3


def test_bad_query_files_fail_clearly(tmp_path, user_files):
    from mteb_redundancy_tasks.displacement import displacement_task_from_file

    duplicated = tmp_path / "dup.txt"
    duplicated.write_text("a river\nan opera\na river\n", encoding="utf-8")
    with pytest.raises(ValueError, match="duplicate"):
        displacement_task_from_file("Dup", duplicated)
    wrong = tmp_path / "q.csv"
    wrong.write_text("a,b\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"\.txt"):
        displacement_task_from_file("Csv", wrong)
    bad_json = tmp_path / "q.json"
    bad_json.write_text(json.dumps({"texts": ["a", "b"]}), encoding="utf-8")
    with pytest.raises(ValueError, match="'queries'"):
        displacement_task_from_file("BadJson", bad_json)
    edited = tmp_path / "edited.txt"
    edited.write_text("a river\nan opera\n", encoding="utf-8")
    task_class = displacement_task_from_file("Edited", edited)
    edited.write_text("a river\nan opera\na play\n", encoding="utf-8")
    with pytest.raises(ValueError, match="changed since"):
        task_class().load_queries()
