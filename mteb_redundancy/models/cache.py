"""A prompt-aware, on-disk embedding cache. No MTEB import, no pickle.

Keyed on model id + revision, the exact prompt (prefix, suffix, pooling rule), the side the model
sees and the text. It stores full-dimension vectors only: every reduced dimension is computed from
them, so a sweep over d encodes once.

Layout: ``<root>/<namespace>/`` per (model, revision, prompt, side), with ``namespace.json``
describing it, and shards written once each: ``<id>.npy`` (float32 vectors, ``allow_pickle=False``)
and ``<id>.json`` (the text keys, the vectors' shape and the SHA-256 of the ``.npy`` file). Each file
is written to a temporary name and renamed into place, the manifest last, so a shard without a
manifest is invisible. A shard whose bytes do not match its manifest is deleted and its texts are
encoded again: a damaged entry is never returned.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mteb_redundancy._io import atomic_write_bytes

logger = logging.getLogger(__name__)

CACHE_VARIABLE = "MTEB_REDUNDANCY_CACHE"
_FORMAT_VERSION = 1


CACHE_OFF_VALUES = {"off", "none", "0", "false", "no"}


class CacheUnusableError(OSError):
    """The cache folder cannot be written; raised before any encoding, with what to do."""


def cache_disabled() -> bool:
    """``MTEB_REDUNDANCY_CACHE=off`` (or none, 0, false, no) runs without the embedding cache."""
    return os.environ.get(CACHE_VARIABLE, "").strip().lower() in CACHE_OFF_VALUES


def default_cache_dir() -> Path:
    configured = os.environ.get(CACHE_VARIABLE)
    if configured and not cache_disabled():
        return Path(configured).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "mteb-redundancy" / "embeddings"


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def texts_sha256(texts: Sequence[str]) -> str:
    """SHA-256 of a list of texts: each text's UTF-8 bytes after their length (8 bytes, little-endian),
    so that no two different lists give the same bytes."""
    digest = hashlib.sha256()
    for text in texts:
        encoded = text.encode("utf-8")
        digest.update(len(encoded).to_bytes(8, "little"))
        digest.update(encoded)
    return digest.hexdigest()


def _npy_bytes(vectors: np.ndarray) -> bytes:
    import io

    buffer = io.BytesIO()
    np.save(buffer, vectors, allow_pickle=False)
    return buffer.getvalue()


def _check_manifest(manifest) -> None:
    """A shard manifest of the right shape, or a ``ValueError``: valid JSON of another shape is a
    damaged manifest like any other (reported, its texts encoded again), never a crash."""
    if not isinstance(manifest, dict):
        raise ValueError("not an object")
    keys, sha256, shape = manifest["keys"], manifest["sha256"], manifest["shape"]
    if not (isinstance(keys, list) and all(isinstance(k, str) for k in keys)):
        raise ValueError("keys is not a list of strings")
    if not isinstance(sha256, str):
        raise ValueError("sha256 is not a string")
    if not (isinstance(shape, list) and len(shape) == 2 and all(isinstance(n, int) for n in shape) and shape[0] == len(keys)):
        raise ValueError("shape does not match the keys")


@dataclass(frozen=True)
class CacheKey:
    model_id: str
    revision: str | None
    prompt: str
    side: str

    @property
    def namespace(self) -> str:
        payload = json.dumps([_FORMAT_VERSION, self.model_id, self.revision, self.prompt, self.side])
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:24]


class EmbeddingCache:
    """Full-dimension embeddings on disk. Use ``lookup`` then ``store`` for what was missing."""

    def __init__(self, root: str | os.PathLike | None = None):
        self.root = Path(root) if root is not None else default_cache_dir()
        self._checked = False

    def check_writable(self) -> None:
        """Make sure the cache can take new shards, before any encoding starts: the folder exists or
        can be created, is a folder, and a file can be written in it."""
        if self._checked:
            return
        hint = f"Set {CACHE_VARIABLE} to a writable folder, or {CACHE_VARIABLE}=off to run without the cache."
        if self.root.exists() and not self.root.is_dir():
            raise CacheUnusableError(f"The embedding cache {self.root} is a file, not a folder. {hint}")
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            probe = atomic_write_bytes(self.root / ".write-check", b"ok")
            probe.unlink()
        except OSError as error:
            raise CacheUnusableError(f"The embedding cache {self.root} cannot be written ({error.strerror or error}). {hint}") from None
        self._checked = True
    def _folder(self, key: CacheKey) -> Path:
        return self.root / key.namespace

    def _shards(self, folder: Path) -> list[tuple[Path, dict]]:
        shards = []
        for manifest_path in sorted(folder.glob("*.json")):
            if manifest_path.name == "namespace.json":
                continue
            try:
                manifest = json.loads(manifest_path.read_text("utf-8"))
                _check_manifest(manifest)
            except (OSError, ValueError, KeyError, TypeError):
                logger.warning("Ignoring unreadable cache manifest %s; its texts will be encoded again.", manifest_path)
                self._discard(manifest_path)
                continue
            shards.append((manifest_path, manifest))
        return shards

    @staticmethod
    def _discard(manifest_path: Path) -> None:
        manifest_path.unlink(missing_ok=True)
        manifest_path.with_suffix(".npy").unlink(missing_ok=True)

    def _load_shard(self, manifest_path: Path, manifest: dict) -> np.ndarray | None:
        npy_path = manifest_path.with_suffix(".npy")
        try:
            data = npy_path.read_bytes()
            if hashlib.sha256(data).hexdigest() != manifest["sha256"]:
                raise ValueError("checksum mismatch")
            import io

            vectors = np.load(io.BytesIO(data), allow_pickle=False)
            if list(vectors.shape) != list(manifest["shape"]) or len(manifest["keys"]) != vectors.shape[0]:
                raise ValueError("shape mismatch")
            if not np.isfinite(vectors).all():
                raise ValueError("non-finite values")
        except (OSError, ValueError) as error:
            logger.warning("Cache shard %s is damaged (%s); its texts will be encoded again.", npy_path, error)
            self._discard(manifest_path)
            return None
        return vectors

    def lookup(self, key: CacheKey, texts: Sequence[str]) -> tuple[np.ndarray | None, list[int]]:
        """Vectors for ``texts`` (rows of the missing ones are left zero) and the missing indices."""
        folder = self._folder(key)
        keys = [text_key(t) for t in texts]
        wanted: dict[str, list[int]] = {}
        for i, k in enumerate(keys):
            wanted.setdefault(k, []).append(i)
        found: np.ndarray | None = None
        filled = np.zeros(len(texts), dtype=bool)
        if folder.is_dir() and wanted:
            for manifest_path, manifest in self._shards(folder):
                rows = [(row, wanted[k]) for row, k in enumerate(manifest["keys"]) if k in wanted]
                if not rows:
                    continue
                vectors = self._load_shard(manifest_path, manifest)
                if vectors is None:
                    continue
                if found is None:
                    found = np.zeros((len(texts), vectors.shape[1]), dtype=np.float32)
                for row, positions in rows:
                    found[positions] = vectors[row]
                    filled[positions] = True
        missing = [i for i in range(len(texts)) if not filled[i]]
        return found, missing

    def cached_keys(self, key: CacheKey) -> set[str]:
        """The text keys (:func:`text_key`) of ``key``'s namespace that readable manifests list, without
        reading any vectors: what a distributed encoder (``mteb_redundancy.engines``) skips. A shard whose
        bytes are damaged is only found out, and its texts encoded again, by :meth:`lookup`."""
        folder = self._folder(key)
        if not folder.is_dir():
            return set()
        return {k for _, manifest in self._shards(folder) for k in manifest["keys"]}

    def store(self, key: CacheKey, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Write one shard atomically. Non-finite vectors are refused, never cached.

        Safe from several processes at once on one folder (each shard has a random name, every file
        is renamed into place): the distributed encoder's workers store their batches with it."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[0] != len(texts):
            raise ValueError(f"store() needs one vector per text: {len(texts)} texts, shape {vectors.shape}.")
        if not np.isfinite(vectors).all():
            raise ValueError("Refusing to cache non-finite embeddings.")
        if not texts:
            return
        folder = self._folder(key)
        folder.mkdir(parents=True, exist_ok=True)
        description = folder / "namespace.json"
        if not description.exists():
            info = {"model_id": key.model_id, "revision": key.revision, "prompt": key.prompt, "side": key.side}
            atomic_write_bytes(description, json.dumps(info, indent=1).encode("utf-8"))
        shard = folder / uuid.uuid4().hex
        data = _npy_bytes(vectors)
        manifest = {
            "keys": [text_key(t) for t in texts],
            "shape": list(vectors.shape),
            "sha256": hashlib.sha256(data).hexdigest(),
        }
        atomic_write_bytes(shard.with_suffix(".npy"), data)
        atomic_write_bytes(shard.with_suffix(".json"), json.dumps(manifest).encode("utf-8"))
