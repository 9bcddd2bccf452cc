"""The MTEB wrapper on the real all-MiniLM-L6-v2: prompts reach the model, reductions are exact, and
every backend reads what ``Prompt.apply`` gives."""

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


def unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_first_d_variant_is_slicing_renormalised_only_where_the_task_scores_by_cosine(load_variant, raw_minilm, mteb_module, texts):
    """docs/methods.md: a cosine model's reduced vectors are re-normalised where the task's evaluation
    uses its cosine similarity (retrieval, STS), and reach the logistic-regression probe and k-means
    as truncated (Tsukagoshi & Sasano 2025 truncate to the first d)."""
    model = load_variant(f"{BASE} (prompt=none, dim=64)")
    first = raw_minilm.encode(texts)[:, :64]
    for task in ("WikiTopicClassification", "WikiTopicClustering"):
        got = mteb_encode(model, mteb_module, texts, task)
        assert got.shape == (len(texts), 64)
        np.testing.assert_allclose(got, first, atol=1e-5)
        assert np.all(np.linalg.norm(got, axis=1) < 0.99)  # not put back on the sphere
    np.testing.assert_allclose(mteb_encode(model, mteb_module, texts, "STSBenchmarkOffline"), unit(first), atol=1e-5)
    queries = mteb_encode(model, mteb_module, texts, "WikiRetrieval", PromptType.query)
    np.testing.assert_allclose(queries, unit(first), atol=1e-5)


def test_normalize_false_is_raw_truncation_on_every_task_and_its_own_experiment(load_variant, raw_minilm, mteb_module, texts):
    spellings = [
        f"{BASE} (prompt=none, dim=64, normalize=false)",
        f"{BASE} (normalize=False, dim=64, prompt=none)",  # MTEB's sorted-key form
        f"{BASE}  ( prompt=none,dim=64 , reduction=first, normalize=FALSE )",
    ]
    metas = [mteb_module.get_model_meta(name) for name in spellings]
    assert {meta.model_name_with_experiment for meta in metas} == {f"{BASE} (dim=64, normalize=False, prompt=none)"}
    assert {meta.experiment_name for meta in metas} == {"dim_64__normalize_False__prompt_none"}  # its own result folder
    assert mteb_module.get_model_meta(f"{BASE} (prompt=none, dim=64, normalize=true)").experiment_name == "dim_64__prompt_none"
    assert mteb_module.get_model_meta(f"{BASE} (prompt=none, normalize=false)").experiment_name == "prompt_none"  # full d
    with pytest.raises(KeyError, match="normalize must be false"):
        mteb_module.get_model_meta(f"{BASE} (prompt=none, dim=64, normalize=sometimes)")

    model = load_variant(spellings[1])
    first = raw_minilm.encode(texts)[:, :64]
    np.testing.assert_allclose(mteb_encode(model, mteb_module, texts, "WikiTopicClassification"), first, atol=1e-5)
    np.testing.assert_allclose(mteb_encode(model, mteb_module, texts, "WikiRetrieval", PromptType.query), first, atol=1e-5)
    assert model.mteb_model_meta.experiment_kwargs == {"prompt": "none", "dim": 64, "normalize": False}


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
    np.testing.assert_allclose(got, unit(reducer.transform(full)), atol=1e-6)  # STS scores by cosine: re-normalised
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


def test_sentence_transformers_backend_reads_what_the_prompt_applies(load_variant, raw_minilm, texts):
    """A style's preparation of the text (PromptEOL's, a plugin's) reaches a sentence-transformers
    model too, and so does its suffix."""
    from mteb_redundancy.models.styles import Prompt, prompteol_prompt, prompteol_text

    model = load_variant(f"{BASE} (prompt=none)")
    prompt = prompteol_prompt()
    got = model.backend.encode(texts, prompt, batch_size=8)
    np.testing.assert_allclose(got, raw_minilm.encode([f'This sentence : "{prompteol_text(t)}" means in one word:"' for t in texts]), atol=1e-5)
    reverse = Prompt(style="reversed", prefix="backwards: ", suffix=" (end)", prepare=lambda text: text[::-1])
    got = model.backend.encode(texts, reverse, batch_size=8)
    np.testing.assert_allclose(got, raw_minilm.encode([f"backwards: {t[::-1]} (end)" for t in texts]), atol=1e-5)
