"""Prompt styles decide what text reaches the model (docs/methods.md: prompt styles). Pure functions, no model."""

from pathlib import Path

import pytest

import mteb_redundancy
from mteb_redundancy.models.prompts import resolve_prompt
from mteb_redundancy.models.styles import (
    DEFAULT_INSTRUCTIONS,
    TASK_TYPE_INSTRUCTIONS,
    Prompt,
    prompteol_prompt,
)


def prompt(style, task_name="AmazonPolarityClassification", task_type="Classification", side=None, **kw):
    return resolve_prompt(style, task_name=task_name, task_type=task_type, side=side, **kw)


def test_instruction_style_uses_the_e5_mistral_template_with_the_seed_instruction():
    p = prompt("instruction")
    assert p.apply("great movie") == (
        "Instruct: Classify Amazon reviews into positive or negative sentiment\nQuery: great movie"
    )


def test_task_type_decides_when_mteb_passes_no_prompt_type():
    # MTEB calls classification and clustering with prompt_type=None: the instruction must still come.
    p = prompt("instruction", task_name="SomeNewClustering", task_type="Clustering", side=None)
    assert TASK_TYPE_INSTRUCTIONS["clustering"] in p.prefix


def test_retrieval_documents_get_no_instruction_but_queries_do():
    query = prompt("instruction", task_name="NQHardNegatives", task_type="Retrieval", side="query")
    document = prompt("instruction", task_name="NQHardNegatives", task_type="Retrieval", side="document")
    assert DEFAULT_INSTRUCTIONS["NQHardNegatives"] in query.prefix
    assert document.apply("a passage") == "a passage"


def test_prefix_style_follows_e5_and_can_be_overridden_per_model_and_per_task():
    assert prompt("prefix", task_type="Retrieval", side="document").prefix == "passage: "
    assert prompt("prefix", task_type="Retrieval", side="query").prefix == "query: "
    assert prompt("prefix", task_type="Classification").prefix == "query: "
    nomic = {"classification": "classification: ", "document": "search_document: "}
    assert prompt("prefix", prefixes=nomic).prefix == "classification: "
    per_task = {"AmazonPolarityClassification": "review: "}
    assert prompt("prefix", prefixes=per_task).prefix == "review: "


def test_instructions_are_overridable_per_task():
    p = prompt("instruction", instructions={"AmazonPolarityClassification": "Say if the review is happy"})
    assert "Say if the review is happy" in p.prefix


def test_instructor_pools_the_text_only_and_none_is_the_text_as_is():
    p = prompt("instructor")
    assert p.pool_text_only and p.prefix == "Represent the text for classifying its category: "
    assert prompt("none").apply("x") == "x"


@pytest.mark.parametrize("task_type", ["Retrieval", "Reranking", "STS", "PairClassification", "Classification", "Clustering", "Any2AnyRetrieval"])
def test_instructor_queries_get_instructors_own_represent_form_for_every_task_type(task_type):
    """INSTRUCTOR (Su et al. 2023) reads "Represent the (domain) text type (for objective): ", not
    another model's "Classify ..." / "Given a query, retrieve ..." instruction."""
    p = prompt("instructor", task_name="SomeNewTask", task_type=task_type, side="query")
    assert p.prefix.startswith("Represent the ") and p.prefix.endswith(": ") and p.pool_text_only
    assert not any(instruction in p.prefix for instruction in TASK_TYPE_INSTRUCTIONS.values())


def test_instructor_queries_use_instructors_per_task_instructions_and_a_models_own_table():
    nq = prompt("instructor", task_name="NQHardNegatives", task_type="Retrieval", side="query")
    assert nq.apply("who wrote it") == "Represent the Wikipedia question for retrieving supporting documents: who wrote it"
    wiki = prompt("instructor", task_name="WikiTopicClassification", task_type="Classification")
    assert wiki.prefix == "Represent the Wikipedia article for classifying its topic: "
    own = prompt("instructor", task_name="WikiTopicClassification", task_type="Classification",
                 instructions={"classification": "Represent the lead for topic classification"})
    assert own.prefix == "Represent the Wikipedia article for classifying its topic: "  # the task's own entry wins
    own = prompt("instructor", task_type="Classification", instructions={"classification": "Represent the review for rating"})
    assert own.prefix == "Represent the review for rating: "


@pytest.mark.parametrize("task_type", ["Retrieval", "Any2AnyRetrieval", "Any2AnyMultilingualRetrieval"])
def test_retrieval_documents_of_any_retrieval_type_get_no_instruction(task_type):
    document = prompt("instruction", task_name="SomeNewRetrieval", task_type=task_type, side="document")
    query = prompt("instruction", task_name="SomeNewRetrieval", task_type=task_type, side="query")
    assert document.apply("a passage") == "a passage"
    assert query.prefix == f"Instruct: {TASK_TYPE_INSTRUCTIONS['retrieval']}\nQuery: "
    # INSTRUCTOR's documents get its document instruction, as for Retrieval
    assert prompt("instructor", task_name="X", task_type=task_type, side="document").prefix == "Represent the document for retrieval: "


def test_apply_prepares_a_text_only_as_the_prompt_says_not_by_style_name():
    assert Prompt(style="prompteol", prefix="<", suffix=">").apply('say "hi"') == '<say "hi">'
    assert prompteol_prompt().apply('say "hi" now') == 'This sentence : "say \'hi\' now." means in one word:"'
    shout = Prompt(style="shout", prefix="LOUD: ", prepare=str.upper)
    assert shout.apply("quiet words") == "LOUD: QUIET WORDS"
    assert shout.key == Prompt(style="shout", prefix="LOUD: ").key  # the style's name pins its preparation


def test_ogawa_et_als_instruction_table_is_written_once():
    """The displacement conditions are the task-kind table, not a second copy of it."""
    from mteb_redundancy.analyses.displacement.conditions import DISPLACEMENT_CONDITIONS

    assert DISPLACEMENT_CONDITIONS == {
        "Base": None, "Retrieval": TASK_TYPE_INSTRUCTIONS["retrieval"], "Reranking": TASK_TYPE_INSTRUCTIONS["reranking"],
        "STS": TASK_TYPE_INSTRUCTIONS["sts"], "Classification": TASK_TYPE_INSTRUCTIONS["classification"],
        "Clustering": TASK_TYPE_INSTRUCTIONS["clustering"],
    }
    package = Path(mteb_redundancy.__file__).parent
    for instruction in TASK_TYPE_INSTRUCTIONS.values():
        holders = [path.name for path in package.rglob("*.py") if instruction in path.read_text("utf-8")]
        assert holders == ["styles.py"], (instruction, holders)


def test_prompt_keys_differ_when_the_text_the_model_sees_differs():
    keys = {prompt(style).key for style in ("none", "prefix", "instruction", "instructor")}
    assert len(keys) == 4


def test_unknown_style_is_a_clear_error():
    with pytest.raises(ValueError, match="choose one of"):
        prompt("instruct")
