"""Bad or careless input: typed user configuration, a cache that survives its own failures, stale local
weights, interrupted encodings, and blocked plugins. Real files, real MiniLM, real subprocesses."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import MINILM

BIN = Path(sys.executable).parent


def write_models(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "models.toml"
    path.write_text(text)
    return path


# --------------------------------------------------------------------------------------------
# typed configuration
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "line, words",
    [
        ('trust_remote_code = "false"', ["trust_remote_code", "'false'", "a boolean"]),
        ('embed_dim = "384"', ["embed_dim", "'384'", "whole number"]),
        ('prompt_styles = "none"', ["prompt_styles", "'none'", "a list of strings"]),
        ("dims = [48, 'x']", ["dims", "a list of whole numbers"]),
    ],
)
def test_a_wrongly_typed_value_names_the_file_entry_key_value_and_type(tmp_path, line, words):
    from mteb_redundancy.default_plugins.user_models import read_entries, spec_from_entry

    path = write_models(tmp_path, f'[[models]]\nid = "my-lab/model"\n{line}\n')
    (entry,) = read_entries(path)
    with pytest.raises(ValueError) as error:
        spec_from_entry(entry, path)
    message = str(error.value)
    for word in [str(path), "my-lab/model", *words]:
        assert word in message, (word, message)


def test_trust_remote_code_is_only_a_real_boolean():
    from mteb_redundancy import ModelSpec

    assert ModelSpec("a/b", trust_remote_code=True).trust_remote_code is True
    for value in ("false", "true", 1, None):
        with pytest.raises(TypeError, match="trust_remote_code must be true or false"):
            ModelSpec("a/b", trust_remote_code=value)


def test_models_written_as_a_table_and_ids_without_a_slash_are_clear_errors(tmp_path):
    from mteb_redundancy.default_plugins.user_models import read_entries
    from mteb_redundancy.default_plugins.commands import _cmd_add_model
    from mteb_redundancy.cli import build_parser

    with pytest.raises(ValueError, match=r"array of tables, written \[\[models\]\]"):
        read_entries(write_models(tmp_path, '[models]\nid = "a/b"\n'))
    args = build_parser().parse_args(["add-model", "noslash"])
    assert _cmd_add_model(args, []) == 2


def test_one_bad_entry_does_not_cost_the_others_their_weights(tmp_path, monkeypatch, minilm_path):
    from mteb_redundancy.plugins import get_registry

    path = write_models(tmp_path, f'''
[[models]]
id = "my-lab/missing"
path = "{tmp_path / 'nowhere'}"

[[models]]
id = "my-lab/minilm"
path = "{minilm_path}"
embed_dim = 384
''')
    monkeypatch.setenv("MTEB_REDUNDANCY_MODELS", str(path))
    try:
        registry = get_registry(reload=True)
        assert "my-lab/minilm" in registry.sources and "my-lab/missing" not in registry.sources
        assert any("my-lab/missing" in str(e) and "does not exist" in str(e) for e in registry.errors)
    finally:
        monkeypatch.undo()
        get_registry(reload=True)


# --------------------------------------------------------------------------------------------
# the cache
# --------------------------------------------------------------------------------------------
def test_a_manifest_of_the_wrong_shape_is_treated_as_damaged(load_variant, tmp_path, wiki_texts):
    from mteb_redundancy import EmbeddingCache
    from mteb_redundancy.models.styles import NO_PROMPT

    cache = EmbeddingCache(tmp_path / "emb")
    texts = wiki_texts[:6]
    load_variant(f"{MINILM} (prompt=none)", cache=cache).embed(texts, NO_PROMPT)
    (manifest,) = [p for p in (tmp_path / "emb").rglob("*.json") if p.name != "namespace.json"]
    manifest.write_text(json.dumps({"keys": 5, "sha256": "x", "shape": [1]}))
    again = load_variant(f"{MINILM} (prompt=none)", cache=cache)
    vectors = again.embed(texts, NO_PROMPT)
    assert again.texts_encoded == 6 and vectors.shape == (6, 384)
    third = load_variant(f"{MINILM} (prompt=none)", cache=cache)
    third.embed(texts, NO_PROMPT)
    assert third.texts_encoded == 0  # rebuilt


def test_an_unwritable_cache_fails_before_any_encoding(load_variant, tmp_path, wiki_texts):
    from mteb_redundancy import EmbeddingCache
    from mteb_redundancy.models.cache import CacheUnusableError
    from mteb_redundancy.models.styles import NO_PROMPT

    a_file = tmp_path / "cache-is-a-file"
    a_file.write_text("x")
    model = load_variant(f"{MINILM} (prompt=none)", cache=EmbeddingCache(a_file))
    with pytest.raises(CacheUnusableError, match="is a file, not a folder.*MTEB_REDUNDANCY_CACHE=off"):
        model.embed(wiki_texts[:40], NO_PROMPT)
    assert model.texts_encoded == 0
    with pytest.raises(CacheUnusableError, match="cannot be written"):  # a folder that cannot be created
        load_variant(f"{MINILM} (prompt=none)", cache=EmbeddingCache(a_file / "below")).embed(wiki_texts[:40], NO_PROMPT)
    # An existing folder that cannot be written is a read-only cache: served, not written
    # (tests/test_reliability.py, on a read-only bind mount).


def test_the_cache_can_be_switched_off(mteb_module, monkeypatch, wiki_texts, tmp_path):
    from mteb_redundancy import get_encoder
    from mteb_redundancy.models.styles import NO_PROMPT

    monkeypatch.setenv("MTEB_REDUNDANCY_CACHE", "off")
    model = get_encoder(f"{MINILM} (prompt=none)", device="cpu")
    assert model.cache is None
    model.embed(wiki_texts[:3], NO_PROMPT)
    model.embed(wiki_texts[:3], NO_PROMPT)
    assert model.texts_encoded == 6
    assert not (Path.cwd() / "off").exists()


def test_replaced_local_weights_are_encoded_again(mteb_module, tmp_path, minilm_path, wiki_texts):
    from mteb_redundancy import EmbeddingCache, ModelSpec
    from mteb_redundancy.models.encoder import PromptedEncoder
    from mteb_redundancy.models.names import VariantName
    from mteb_redundancy.models.styles import NO_PROMPT

    folder = tmp_path / "weights"
    shutil.copytree(minilm_path, folder)
    spec = ModelSpec("my-lab/local", embed_dim=384)
    cache = EmbeddingCache(tmp_path / "emb")

    def encoder():
        return PromptedEncoder(spec, VariantName(spec.model_id, "none"), location=str(folder), device="cpu", cache=cache)

    first = encoder()
    first.embed(wiki_texts[:4], NO_PROMPT)
    same = encoder()
    same.embed(wiki_texts[:4], NO_PROMPT)
    assert (first.texts_encoded, same.texts_encoded) == (4, 0)
    (weights,) = folder.glob("*.safetensors")
    data = weights.read_bytes()
    weights.write_bytes(data)  # replaced (same bytes here, new file): a new modification time
    os.utime(weights, ns=(weights.stat().st_atime_ns, weights.stat().st_mtime_ns + 10**9))
    replaced = encoder()
    replaced.embed(wiki_texts[:4], NO_PROMPT)
    assert replaced.texts_encoded == 4


def test_an_interrupted_encoding_keeps_what_it_did_by_time_as_well_as_by_count(load_variant, tmp_path, wiki_texts, monkeypatch):
    import mteb_redundancy.models.encoder as encoder_module
    from mteb_redundancy import EmbeddingCache
    from mteb_redundancy.models.styles import NO_PROMPT

    monkeypatch.setattr(encoder_module, "COMMIT_SECONDS", 0.0)  # every batch is "old enough" to commit
    cache = EmbeddingCache(tmp_path / "emb")
    model = load_variant(f"{MINILM} (prompt=none)", cache=cache)
    real = model.backend.encode
    calls = []

    def encode_then_stop(batch, prompt, batch_size):
        calls.append(len(batch))
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(batch, prompt, batch_size)

    model.backend.encode = encode_then_stop
    with pytest.raises(KeyboardInterrupt):
        model.embed(wiki_texts[300:330], NO_PROMPT, batch_size=5)
    resumed = load_variant(f"{MINILM} (prompt=none)", cache=cache)
    resumed.embed(wiki_texts[300:330], NO_PROMPT, batch_size=5)
    assert resumed.texts_encoded == 30 - 10  # two batches of 5 were committed, with CHUNK_SIZE at 1024


# --------------------------------------------------------------------------------------------
# start-up and plugins
# --------------------------------------------------------------------------------------------
def run_python(code: str, **env):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, **env}, timeout=600)


def test_import_mteb_redundancy_registers_with_the_startup_hook_off():
    result = run_python(
        "import mteb_redundancy, mteb; print(mteb.get_model_meta('sentence-transformers/all-MiniLM-L6-v2 (prompt=none, dim=64)').embed_dim)",
        MTEB_REDUNDANCY_AUTOLOAD="0",
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "64"
    without = run_python("import mteb; print('RedundancyWiki' in [t.metadata.name for t in mteb.get_tasks()])", MTEB_REDUNDANCY_AUTOLOAD="0")
    assert without.stdout.strip() == "False"  # the hook really is off


def test_blocking_the_plugins_says_which_one_to_allow():
    result = run_python(
        "import mteb; from mteb_redundancy import get_encoder; get_encoder('sentence-transformers/all-MiniLM-L6-v2 (prompt=none)')",
        MTEB_REDUNDANCY_PLUGINS="",
    )
    assert result.returncode != 0
    assert "offline_models" in result.stderr and "MTEB_REDUNDANCY_PLUGINS=offline_models" in result.stderr
    assert "couldn't connect" not in result.stderr
