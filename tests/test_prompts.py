"""Prompt styles decide what text reaches the model (docs/methods.md: prompt styles). Pure functions, no model."""

import pytest

from mteb_redundancy.models.prompts import resolve_prompt
from mteb_redundancy.models.styles import (
    DEFAULT_INSTRUCTIONS,
    TASK_TYPE_INSTRUCTIONS,
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
    assert p.pool_text_only and p.prefix.startswith(DEFAULT_INSTRUCTIONS["AmazonPolarityClassification"])
    assert prompt("none").apply("x") == "x"


def test_prompt_keys_differ_when_the_text_the_model_sees_differs():
    keys = {prompt(style).key for style in ("none", "prefix", "instruction", "instructor")}
    assert len(keys) == 4


def test_unknown_style_is_a_clear_error():
    with pytest.raises(ValueError, match="choose one of"):
        prompt("instruct")
