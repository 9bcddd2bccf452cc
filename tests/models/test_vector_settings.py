"""Settings that change the vectors without being the revision, the prompt or the precision (a maximum
sequence length, ``normalize_output``): part of the embedding cache key, set through the spec (or
``get_encoder``), checked before any weights load, and never passed off as the variant in MTEB."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
from conftest import MINILM

from mteb_redundancy.models.cache import CacheKey, EmbeddingCache
from mteb_redundancy.models.styles import Prompt

MINILM_NONE = f"{MINILM} (prompt=none)"


def old_namespace(*fields) -> str:
    """The namespace formula of before settings were keyed: the format version, model, revision,
    prompt and side, and the precision where it is not float32."""
    return hashlib.sha256(json.dumps([1, *fields]).encode("utf-8")).hexdigest()[:24]


# --------------------------------------------------------------------------------------------
# the key
# --------------------------------------------------------------------------------------------
def test_a_key_without_settings_keeps_its_namespace_and_settings_make_another():
    plain = CacheKey("org/m", "abc", "none", "text")
    assert plain.namespace == old_namespace("org/m", "abc", "none", "text")
    bfloat16 = CacheKey("org/m", "abc", "none", "text", precision="bfloat16")
    assert bfloat16.namespace == old_namespace("org/m", "abc", "none", "text", "bfloat16")
    assert CacheKey("org/m", "abc", "none", "text", settings={}).namespace == plain.namespace

    short = CacheKey("org/m", "abc", "none", "text", settings={"max_seq_length": 128})
    longer = CacheKey("org/m", "abc", "none", "text", settings={"max_seq_length": 256})
    raw = CacheKey("org/m", "abc", "none", "text", settings={"normalize_output": False})
    tagged = CacheKey("org/m", "abc|max_length=128", "none", "text")  # what the gap study's revision tag spelled
    namespaces = {k.namespace for k in (plain, bfloat16, short, longer, raw, tagged)}
    assert len(namespaces) == 6


def test_settings_are_canonical_whatever_order_or_form_they_come_in():
    one = CacheKey("org/m", "r", "none", "text", settings={"normalize_output": False, "max_seq_length": 64})
    two = CacheKey("org/m", "r", "none", "text", settings=[("max_seq_length", 64), ("normalize_output", False)])
    assert one == two and hash(one) == hash(two) and one.namespace == two.namespace
    assert one.settings == (("max_seq_length", 64), ("normalize_output", False))
    # JSON keeps true apart from 1: a boolean setting never shares a namespace with a number
    assert CacheKey("org/m", "r", "none", "text", settings={"x": True}).namespace != CacheKey("org/m", "r", "none", "text", settings={"x": 1}).namespace
    with pytest.raises(TypeError, match="'max_seq_length' must be a string, number, boolean or null"):
        CacheKey("org/m", "r", "none", "text", settings={"max_seq_length": [128]})


def test_namespace_json_records_the_settings(tmp_path):
    cache = EmbeddingCache(tmp_path)
    key = CacheKey("org/m", "r", "none", "text", settings={"max_seq_length": 64})
    cache.store(key, ["a"], np.ones((1, 4), np.float32))
    info = json.loads((tmp_path / key.namespace / "namespace.json").read_text())
    assert info["settings"] == {"max_seq_length": 64}
    cache.store(CacheKey("org/m", "r", "none", "text"), ["a"], np.ones((1, 4), np.float32))
    assert json.loads((tmp_path / CacheKey("org/m", "r", "none", "text").namespace / "namespace.json").read_text())["settings"] == {}


# --------------------------------------------------------------------------------------------
# the encoder fills it, and the backend's options are checked before any weights load
# --------------------------------------------------------------------------------------------
def test_max_seq_length_and_normalize_output_enter_the_key_and_nothing_else_changes(load_variant):
    from mteb_redundancy import get_encoder

    prompt = Prompt("none")
    default = load_variant(MINILM_NONE).cache_key(prompt)
    short = get_encoder(MINILM_NONE, device="cpu", max_seq_length=128).cache_key(prompt)
    raw = get_encoder(MINILM_NONE, device="cpu", backend_options={"normalize_output": False}).cache_key(prompt)
    as_default = get_encoder(MINILM_NONE, device="cpu", backend_options={"normalize_output": True}).cache_key(prompt)
    assert default.settings == () and as_default == default  # the default option is not a setting
    assert short.settings == (("max_seq_length", 128),) and raw.settings == (("normalize_output", False),)
    assert len({default.namespace, short.namespace, raw.namespace}) == 3
    # the revision, the prompt and the precision stay as they were: only the settings differ
    for key in (short, raw):
        assert (key.model_id, key.revision, key.prompt, key.side, key.precision) == (
            default.model_id, default.revision, default.prompt, default.side, default.precision
        )


@pytest.mark.parametrize(
    "changes, error, words",
    [
        ({"backend_options": {"normalize_output": "false"}}, ValueError, ["normalize_output must be true or false", "'false'", "str"]),
        ({"backend_options": {"normalise_output": False}}, ValueError, ["no option 'normalise_output'", "Did you mean normalize_output"]),
        ({"backend_options": {"precision": "bfloat16"}}, ValueError, ["precision=..."]),
        ({"backend_options": ["normalize_output"]}, TypeError, ["backend_options must be a table"]),
        ({"max_seq_length": "128"}, TypeError, ["max_seq_length must be a whole number", "'128'"]),
        ({"max_seq_length": 0}, TypeError, ["max_seq_length must be a whole number"]),
    ],
)
def test_a_bad_setting_is_a_clear_error_before_the_model_loads(mteb_module, monkeypatch, changes, error, words):
    from sentence_transformers import SentenceTransformer

    from mteb_redundancy import get_encoder

    def no_loading(*args, **kwargs):
        raise AssertionError("the model was loaded before the settings were checked")

    monkeypatch.setattr(SentenceTransformer, "__init__", no_loading)
    with pytest.raises(error) as raised:
        get_encoder(MINILM_NONE, device="cpu", **changes)
    for word in words:
        assert word in str(raised.value), (word, str(raised.value))


def test_a_spec_with_an_option_the_sentence_transformers_backend_lacks_is_refused(minilm_path):
    from mteb_redundancy import ModelSpec
    from mteb_redundancy.models.backends import create_backend

    spec = ModelSpec("my-lab/minilm", backend_options={"dtype": "float32"})
    with pytest.raises(ValueError, match="backend 'sentence-transformers' has no option 'dtype'; options: precision, normalize_output"):
        create_backend(spec, str(minilm_path))


def test_an_encoder_with_changed_settings_embeds_but_refuses_mteb_evaluation(mteb_module, load_variant, tmp_path):
    from mteb_redundancy import get_encoder
    from mteb_redundancy.models.variants import ChangedSettingsError

    short = get_encoder(MINILM_NONE, device="cpu", cache=EmbeddingCache(tmp_path / "emb"), max_seq_length=16)
    assert short.changed_settings == {"max_seq_length": 16}
    task = mteb_module.get_task("RedundancyWikiSmall")
    with pytest.raises(ChangedSettingsError, match=r"max_seq_length=16.*embed\(\) only"):
        mteb_module.evaluate(short, task, cache=mteb_module.ResultCache(tmp_path / "results"), co2_tracker=False)
    assert short.texts_encoded == 0 and not list((tmp_path / "results").rglob("*.json"))
    # an option the registered spec does not set counts as a change, even at the backend's default
    assert get_encoder(MINILM_NONE, device="cpu", backend_options={"normalize_output": True}).changed_settings == {"normalize_output": True}
    assert load_variant(MINILM_NONE).mteb_model_meta.name == MINILM


# --------------------------------------------------------------------------------------------
# models.toml
# --------------------------------------------------------------------------------------------
def test_changing_max_seq_length_in_models_toml_encodes_again(mteb_module, tmp_path, monkeypatch, minilm_path, raw_minilm, wiki_texts):
    """The issue: a user who sets max_seq_length in models.toml was served the vectors of the old
    length from the cache."""
    from mteb_redundancy import get_encoder
    from mteb_redundancy.mteb_bridge.registries import model_registry
    from mteb_redundancy.plugins import get_registry

    texts = sorted(wiki_texts[:60], key=len)[-3:]  # long leads: 16 tokens cut them
    cache = EmbeddingCache(tmp_path / "emb")
    models = tmp_path / "models.toml"
    monkeypatch.setenv("MTEB_REDUNDANCY_MODELS", str(models))

    def encode(extra: str):
        models.write_text(f'[[models]]\nid = "my-lab/minilm"\npath = "{minilm_path}"\nembed_dim = 384\n{extra}')
        get_registry(reload=True)
        encoder = get_encoder("my-lab/minilm (prompt=none)", device="cpu", cache=cache, show_progress=False)
        return encoder, encoder.embed(texts, Prompt("none"))

    try:
        full, X = encode("")
        short, S = encode("max_seq_length = 16\n")
        again, S2 = encode("max_seq_length = 16\n")
    finally:
        monkeypatch.undo()
        get_registry(reload=True)
        # the lookups registered the entry's variants with MTEB; later tests check every registered one
        registered = model_registry()
        for name in [n for n in registered if n.split(" (")[0] == "my-lab/minilm"]:
            del registered[name]
    assert full.texts_encoded == short.texts_encoded == 3 and again.texts_encoded == 0
    assert short.changed_settings == {}  # the registered model's own setting: it may be evaluated
    np.testing.assert_allclose(X, raw_minilm.encode(texts), atol=1e-5)
    raw_minilm.max_seq_length, kept = 16, raw_minilm.max_seq_length
    try:
        reference = raw_minilm.encode(texts)
    finally:
        raw_minilm.max_seq_length = kept
    np.testing.assert_allclose(S, reference, atol=1e-5)
    np.testing.assert_array_equal(S2, S)
    assert np.all(np.sum(S * X, axis=1) < 0.999)
