"""The MTEB wrapper on the real all-MiniLM-L6-v2: prompts reach the model, reductions are exact."""

import numpy as np
import pytest
from mteb.types import PromptType

from mteb_redundancy.models.styles import DEFAULT_INSTRUCTIONS

BASE = "sentence-transformers/all-MiniLM-L6-v2"


def mteb_encode(model, mteb_module, texts, task_name, prompt_type=None):
    task = mteb_module.get_task(task_name)
    batches = [{"text": texts[i : i + 4]} for i in range(0, len(texts), 4)]
    return model.encode(batches, task_metadata=task.metadata, hf_split="test", hf_subset="default", prompt_type=prompt_type)


@pytest.fixture(scope="module")
def texts(wiki_texts):
    return wiki_texts[100:106]


def test_prefix_reaches_the_model(load_variant, raw_minilm, mteb_module, texts):
    model = load_variant(f"{BASE} (prompt=prefix)")
    got = mteb_encode(model, mteb_module, texts, "WikiTopicClassification")
    expected = raw_minilm.encode(["query: " + t for t in texts])
    np.testing.assert_allclose(got, expected, atol=1e-5)
    assert not np.allclose(got, raw_minilm.encode(texts), atol=1e-3)


def test_instruction_reaches_queries_and_classification_but_not_retrieval_documents(load_variant, raw_minilm, mteb_module, texts):
    model = load_variant(f"{BASE} (prompt=instruction)")
    instruction = DEFAULT_INSTRUCTIONS["WikiTopicClassification"]
    got = mteb_encode(model, mteb_module, texts, "WikiTopicClassification")
    np.testing.assert_allclose(got, raw_minilm.encode([f"Instruct: {instruction}\nQuery: {t}" for t in texts]), atol=1e-5)
    assert not np.allclose(got, raw_minilm.encode(texts), atol=1e-3)

    # A real MTEB retrieval task (metadata only; its data is on the hub): documents get the bare text.
    documents = mteb_encode(model, mteb_module, texts, "NQHardNegatives", PromptType.document)
    np.testing.assert_allclose(documents, raw_minilm.encode(texts), atol=1e-5)
    queries = mteb_encode(model, mteb_module, texts, "NQHardNegatives", PromptType.query)
    nq = DEFAULT_INSTRUCTIONS["NQHardNegatives"]
    np.testing.assert_allclose(queries, raw_minilm.encode([f"Instruct: {nq}\nQuery: {t}" for t in texts]), atol=1e-5)


def test_first_d_variant_equals_slicing_then_normalizing(load_variant, raw_minilm, mteb_module, texts):
    model = load_variant(f"{BASE} (prompt=none, dim=64)")
    got = mteb_encode(model, mteb_module, texts, "WikiTopicClassification")
    full = raw_minilm.encode(texts)[:, :64]
    np.testing.assert_allclose(got, full / np.linalg.norm(full, axis=1, keepdims=True), atol=1e-5)
    assert got.shape == (len(texts), 64)


def test_random_d_variant_is_reproducible_and_differs_from_first(load_variant, mteb_module, texts):
    name = f"{BASE} (prompt=none, dim=16, reduction=random)"
    a = mteb_encode(load_variant(name), mteb_module, texts, "WikiTopicClassification")
    b = mteb_encode(load_variant(name), mteb_module, texts, "WikiTopicClassification")
    first = mteb_encode(load_variant(f"{BASE} (prompt=none, dim=16)"), mteb_module, texts, "WikiTopicClassification")
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, first)


def test_pca_variant_fits_once_per_task_and_projects_later_splits_alike(load_variant, mteb_module, wiki_texts):
    # STSBenchmarkOffline's fitting set (both sentences of every pair) is short text the sweep tests encode too
    task = "STSBenchmarkOffline"
    model = load_variant(f"{BASE} (prompt=none, dim=8, reduction=pca)")
    train, test = wiki_texts[:60], wiki_texts[60:80]
    mteb_encode(model, mteb_module, train, task)
    reducer = model._reducers[(task, "default")]
    got = mteb_encode(model, mteb_module, test, task)
    full = model.embed(test, model.prompt_for(task, "STS", None))
    np.testing.assert_allclose(got, reducer.transform(full), atol=1e-6)
    assert np.all(np.diff(reducer.explained_variance_) <= 1e-9)


def test_nan_vectors_are_a_clear_error_and_are_not_cached(load_variant, texts, tmp_path):
    import torch

    from mteb_redundancy import EmbeddingCache

    model = load_variant(f"{BASE} (prompt=none)", cache=EmbeddingCache(tmp_path / "emb"))
    with torch.no_grad():  # a model with broken weights, as after a bad fp16 conversion
        for parameter in model.model.parameters():
            parameter.fill_(float("nan"))
    with pytest.raises(ValueError, match="NaN or infinite"):
        model.embed(texts, model.prompt_for("WikiTopicClassification", "Classification", None))
    assert not list(model.cache.root.rglob("*.npy"))


def test_empty_input_is_a_clear_error(load_variant):
    with pytest.raises(ValueError, match="empty"):
        load_variant(f"{BASE} (prompt=none)").embed([], None)
