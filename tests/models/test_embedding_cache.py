"""The prompt-aware embedding cache, on its own and behind a real model."""

import json

import numpy as np
import pytest

from mteb_redundancy.models.cache import CacheKey, EmbeddingCache
from mteb_redundancy.models.styles import Prompt

MINILM_NONE = "sentence-transformers/all-MiniLM-L6-v2 (prompt=none)"


def test_store_then_lookup_round_trips_and_reports_what_is_missing(tmp_path):
    cache = EmbeddingCache(tmp_path)
    key = CacheKey("org/m", "rev", "none", "text")
    vectors = np.arange(12, dtype=np.float32).reshape(3, 4)
    cache.store(key, ["a", "b", "c"], vectors)
    found, missing = cache.lookup(key, ["c", "x", "a", "a"])
    assert missing == [1]
    np.testing.assert_array_equal(found[[0, 2, 3]], vectors[[2, 0, 0]])


def test_files_are_plain_npy_and_json_never_pickle(tmp_path):
    cache = EmbeddingCache(tmp_path)
    cache.store(CacheKey("org/m", None, "none", "text"), ["a"], np.ones((1, 4), np.float32))
    suffixes = {p.suffix for p in tmp_path.rglob("*") if p.is_file()}
    assert suffixes == {".npy", ".json"}
    for npy in tmp_path.rglob("*.npy"):
        np.load(npy, allow_pickle=False)  # raises if the file needed pickle


def test_non_finite_vectors_are_refused(tmp_path):
    with pytest.raises(ValueError, match="non-finite"):
        EmbeddingCache(tmp_path).store(CacheKey("org/m", None, "none", "text"), ["a"], np.full((1, 4), np.nan, np.float32))


def test_second_run_is_served_from_disk(load_variant, tmp_path, wiki_texts):
    texts = wiki_texts[:40]
    cache = EmbeddingCache(tmp_path / "shared")
    first = load_variant(MINILM_NONE, cache=cache)
    vectors = first.embed(texts, Prompt("none"))
    assert first.texts_encoded == 40
    second = load_variant(MINILM_NONE, cache=cache)
    again = second.embed(texts, Prompt("none"))
    assert second.texts_encoded == 0
    assert second.backend._model is None  # a warm cache never even loads the model
    np.testing.assert_array_equal(vectors, again)


@pytest.mark.parametrize("damage", ["flip-bytes", "truncate", "bad-manifest"])
def test_a_damaged_entry_is_recomputed_never_returned(load_variant, tmp_path, wiki_texts, damage):
    texts = wiki_texts[40:60]
    cache = EmbeddingCache(tmp_path / "damaged")
    reference = load_variant(MINILM_NONE, cache=cache).embed(texts, Prompt("none"))
    (npy,) = list((tmp_path / "damaged").rglob("*.npy"))
    data = npy.read_bytes()
    if damage == "flip-bytes":
        npy.write_bytes(data[:-40] + bytes(b ^ 0xFF for b in data[-40:]))
    elif damage == "truncate":
        npy.write_bytes(data[: len(data) // 2])
    else:
        npy.with_suffix(".json").write_text("{not json")
    model = load_variant(MINILM_NONE, cache=cache)
    recomputed = model.embed(texts, Prompt("none"))
    assert model.texts_encoded == len(texts)
    np.testing.assert_allclose(recomputed, reference, atol=1e-6)


def test_prompt_text_is_part_of_the_key(load_variant, tmp_path, wiki_texts):
    cache = EmbeddingCache(tmp_path / "prompts")
    model = load_variant(MINILM_NONE, cache=cache)
    text = wiki_texts[:1]
    a = model.embed(text, Prompt("prefix", prefix="query: "))
    b = model.embed(text, Prompt("prefix", prefix="passage: "))
    assert model.texts_encoded == 2
    assert not np.allclose(a, b)
    namespaces = [json.loads(p.read_text()) for p in (tmp_path / "prompts").rglob("namespace.json")]
    assert sorted(n["prompt"] for n in namespaces) == sorted([Prompt("prefix", prefix="query: ").key, Prompt("prefix", prefix="passage: ").key])
    assert model.embed(text, Prompt("prefix", prefix="query: ")).tolist() == a.tolist()
    assert model.texts_encoded == 2


def test_an_interrupted_encoding_resumes_where_it_stopped(load_variant, tmp_path, wiki_texts, monkeypatch):
    import mteb_redundancy.models.encoder as wrapper

    monkeypatch.setattr(wrapper, "CHUNK_SIZE", 10)
    texts = wiki_texts[200:235]
    cache = EmbeddingCache(tmp_path / "interrupted")
    model = load_variant(MINILM_NONE, cache=cache)
    real_encode = model.backend.encode
    calls = []

    def encode_then_stop(chunk, prompt, batch_size):
        calls.append(len(chunk))
        if len(calls) == 3:
            raise KeyboardInterrupt  # the user pressed Ctrl-C during the third chunk
        return real_encode(chunk, prompt, batch_size)

    model.backend.encode = encode_then_stop
    with pytest.raises(KeyboardInterrupt):
        model.embed(texts, Prompt("none"), batch_size=10)
    resumed = load_variant(MINILM_NONE, cache=cache)
    vectors = resumed.embed(texts, Prompt("none"))
    assert resumed.texts_encoded == len(texts) - 20  # the two finished chunks were kept
    np.testing.assert_allclose(vectors, load_variant(MINILM_NONE).embed(texts, Prompt("none")), atol=1e-5)
    assert not list((tmp_path / "interrupted").rglob("*.tmp"))
