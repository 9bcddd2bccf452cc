"""A prompt-aware, on-disk embedding cache. No MTEB import, no pickle.

Keyed on model id + revision, the exact prompt (prefix, suffix, pooling rule), the side the model
sees, the precision, any other setting that changes the vectors (``CacheKey.settings``: a maximum
sequence length, a backend option such as ``normalize_output``) and the text. It stores
full-dimension vectors only: every reduced dimension is computed from them, so a sweep over d
encodes once.

Layout: ``<root>/<namespace>/`` per (model, revision, prompt, side, precision, settings), with
``namespace.json`` describing it, and shards written once each: ``<id>.npy`` (float32 vectors, ``allow_pickle=False``)
and ``<id>.json`` (the text keys, the vectors' shape and the SHA-256 of the ``.npy`` file). Each file
is written to a temporary name and renamed into place, the manifest last, so a shard without a
manifest is invisible. A shard whose bytes do not match its manifest is deleted and its texts are
encoded again: a damaged entry is never returned.

``namespace.json`` also records the vectors' width and, for local weights, their fingerprint
(``weights``): a shard of another width is ignored and a store of another width refused with what
to do (:class:`CacheWidthError`), and weights that changed under the same revision are warned about.
A cache that cannot take writes (a read-only mount, a full disk) is read as it is: what it holds is
served, damaged shards are ignored in memory, and new vectors are not stored (one warning).
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import uuid
from collections.abc import Mapping, Sequence
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


class CacheWidthError(ValueError):
    """Vectors of another width than a cache namespace already holds: the weights behind one key changed."""


# Errors after which the cache is read but no longer written: the disk or quota is full, the file
# system is read-only, or writing is not permitted.
_WRITE_OFF_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EFBIG}


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


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


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


def canonical_settings(settings) -> tuple[tuple[str, str | int | float | bool | None], ...]:
    """``settings`` (a mapping, or pairs) as ``CacheKey.settings`` holds them: sorted by name, each
    value a JSON scalar. A ``TypeError`` names a value that is not one (it could not be hashed the
    same way twice)."""
    items = settings.items() if isinstance(settings, Mapping) else settings
    pairs = tuple(sorted((str(name), value) for name, value in items))
    for name, value in pairs:
        if not (value is None or isinstance(value, (str, int, float, bool))):
            raise TypeError(f"Cache key setting {name!r} must be a string, number, boolean or null; got {value!r} ({type(value).__name__}).")
    if len({name for name, _ in pairs}) != len(pairs):
        raise ValueError(f"Cache key settings name one setting twice: {[name for name, _ in pairs]}.")
    return pairs


@dataclass(frozen=True)
class CacheKey:
    """What a cached vector depends on. ``precision`` is a field of its own, so no revision string can
    pass for another precision. ``settings`` holds every other setting that changes the vectors but is
    neither the revision, the prompt nor the precision (``{"max_seq_length": 128}``,
    ``{"normalize_output": False}``; given as a mapping or pairs, kept sorted): it enters the namespace
    only when it is not empty, so the keys of models without such settings are those of before.
    ``weights`` is the local weights' fingerprint; it is recorded with the namespace (and warned
    about when it changes) but is not part of it: a revision promises that the files behind it never
    change."""

    model_id: str
    revision: str | None
    prompt: str
    side: str
    precision: str = "float32"
    weights: str | None = None
    settings: tuple[tuple[str, str | int | float | bool | None], ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "settings", canonical_settings(self.settings))

    @property
    def namespace(self) -> str:
        fields: list = [_FORMAT_VERSION, self.model_id, self.revision, self.prompt, self.side]
        if self.precision != "float32":
            # float32 namespaces are those of before; any other precision is a sixth field, which no
            # revision can spell (before, "|precision=<p>" was appended to the revision).
            fields.append(self.precision)
        if self.settings:
            # A JSON object, which no string field can spell; without settings the list (and so every
            # namespace written before settings were keyed) is unchanged.
            fields.append(dict(self.settings))
        return hashlib.sha256(json.dumps(fields, sort_keys=True).encode("utf-8")).hexdigest()[:24]


class EmbeddingCache:
    """Full-dimension embeddings on disk. Use ``lookup`` then ``store`` for what was missing."""

    def __init__(self, root: str | os.PathLike | None = None):
        self.root = Path(root) if root is not None else default_cache_dir()
        self._checked = False
        self.writes_off: str | None = None  # why new vectors are no longer stored, once they are not
        self._namespaces: dict[str, dict] = {}  # namespace.json of each namespace seen, read once
        self._inferred_widths: dict[str, int | None] = {}  # of namespaces that do not record theirs
        self._warned: set[tuple[str, str]] = set()

    def check_writable(self) -> None:
        """Make sure the cache can take new shards, before any encoding starts: the folder exists or
        can be created, is a folder, and a file can be written in it. An existing folder that cannot
        be written (a read-only mount) is used read-only, with a warning."""
        if self._checked:
            return
        hint = f"Set {CACHE_VARIABLE} to a writable folder, or {CACHE_VARIABLE}=off to run without the cache."
        if self.root.exists() and not self.root.is_dir():
            raise CacheUnusableError(f"The embedding cache {self.root} is a file, not a folder. {hint}")
        existed = self.root.is_dir()
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            probe = atomic_write_bytes(self.root / ".write-check", b"ok")
            probe.unlink()
        except OSError as error:
            if not (existed and error.errno in _WRITE_OFF_ERRORS):
                raise CacheUnusableError(f"The embedding cache {self.root} cannot be written ({error.strerror or error}). {hint}") from None
            self._stop_writing(error)
        self._checked = True

    def _stop_writing(self, error: OSError) -> None:
        """From now on, serve what the cache holds and store nothing: said once per cache."""
        if self.writes_off is None:
            self.writes_off = error.strerror or str(error)
            logger.warning(
                "The embedding cache %s cannot be written (%s): the run goes on without storing new vectors; "
                "what the cache already holds is still served. Free space or make it writable to cache again, "
                "or set %s=off.", self.root, self.writes_off, CACHE_VARIABLE,
            )

    def _warn_once(self, what: str, namespace: str, message: str, *args) -> None:
        if (what, namespace) not in self._warned:
            self._warned.add((what, namespace))
            logger.warning(message, *args)
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
        """Delete a damaged shard; where the cache cannot be written (a read-only mount) it is only
        ignored, for this process."""
        for path in (manifest_path, manifest_path.with_suffix(".npy")):
            try:
                path.unlink(missing_ok=True)
            except OSError as error:
                logger.warning("Could not delete the damaged cache file %s (%s); it is ignored.", path, error.strerror or error)

    def _description(self, folder: Path) -> dict:
        """The namespace's ``namespace.json`` (empty if missing or unreadable), read once."""
        if folder.name not in self._namespaces:
            try:
                info = json.loads((folder / "namespace.json").read_text("utf-8"))
            except (OSError, ValueError):
                info = {}
            self._namespaces[folder.name] = info if isinstance(info, dict) else {}
        return self._namespaces[folder.name]

    def _check_weights(self, key: CacheKey, folder: Path) -> None:
        recorded = self._description(folder).get("weights")
        if key.weights and recorded and recorded != key.weights:
            self._warn_once(
                "weights", folder.name,
                "The weights of %s changed since its cache namespace %s was made (fingerprint %s, now %s), but "
                "its revision %r did not: the cached vectors of the old weights are served. A revision promises "
                "that its files never change; give the new weights a new revision, or delete %s.",
                key.model_id, folder.name, recorded, key.weights, key.revision, folder,
            )

    def width(self, key: CacheKey) -> int | None:
        """The width of the vectors ``key``'s namespace holds (``None`` if it holds none): as
        ``namespace.json`` records it, or for a namespace written before widths were recorded, its
        oldest readable shard's."""
        folder = self._folder(key)
        width = self._description(folder).get("width")
        if isinstance(width, int):
            return width
        if folder.name not in self._inferred_widths and folder.is_dir():
            shards = self._shards(folder)
            first = min(shards, key=lambda shard: _mtime(shard[0]), default=None)  # the oldest: the namespace's first vectors
            self._inferred_widths[folder.name] = first[1]["shape"][1] if first is not None else None
        return self._inferred_widths.get(folder.name)

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
            self._check_weights(key, folder)
            width = self.width(key)
            for manifest_path, manifest in self._shards(folder):
                rows = [(row, wanted[k]) for row, k in enumerate(manifest["keys"]) if k in wanted]
                if not rows:
                    continue
                if manifest["shape"][1] != width:
                    self._warn_once(
                        "width", f"{folder.name}/{manifest_path.stem}",
                        "Ignoring cache shard %s: its vectors have width %d, the namespace's have %d.",
                        manifest_path, manifest["shape"][1], width,
                    )
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

    def check_width(self, key: CacheKey, width: int, held: int | None = None) -> None:
        """``CacheWidthError`` unless ``key``'s namespace holds vectors of ``width`` (or none yet);
        ``held`` is the width of vectors already served from it, where known."""
        held = held or self.width(key)
        if held is not None and held != width:
            raise CacheWidthError(
                f"The embedding cache holds vectors of width {held} for {key.model_id} (revision {key.revision!r}), "
                f"and the model now gives width {width}: its weights changed under the same revision. Give the new "
                f"weights a new revision, or delete the namespace {self._folder(key)} (only that folder)."
            )

    def store(self, key: CacheKey, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Write one shard atomically. Non-finite vectors are refused, never cached, and so are
        vectors of another width than the namespace's (:class:`CacheWidthError`). A cache that cannot
        be written (a full disk, a read-only mount) warns once and stores nothing from then on.

        Safe from several processes at once on one folder (each shard has a random name, every file
        is renamed into place): the distributed encoder's workers store their batches with it."""
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[0] != len(texts):
            raise ValueError(f"store() needs one vector per text: {len(texts)} texts, shape {vectors.shape}.")
        if not np.isfinite(vectors).all():
            raise ValueError("Refusing to cache non-finite embeddings.")
        if not texts or self.writes_off is not None:
            return
        self.check_width(key, vectors.shape[1])
        try:
            self._write_shard(key, texts, vectors)
        except OSError as error:
            if error.errno not in _WRITE_OFF_ERRORS:
                raise
            self._stop_writing(error)

    def _write_shard(self, key: CacheKey, texts: Sequence[str], vectors: np.ndarray) -> None:
        folder = self._folder(key)
        folder.mkdir(parents=True, exist_ok=True)
        description = folder / "namespace.json"
        info = self._description(folder)
        if "width" not in info:
            # A new namespace, or one written before widths and fingerprints were recorded.
            info = {
                "model_id": key.model_id, "revision": key.revision, "precision": key.precision, "prompt": key.prompt,
                "side": key.side, "settings": dict(key.settings), "weights": key.weights, **info, "width": self.width(key) or int(vectors.shape[1]),
            }
            atomic_write_bytes(description, json.dumps(info, indent=1).encode("utf-8"))
            self._namespaces[folder.name] = info
        shard = folder / uuid.uuid4().hex
        data = _npy_bytes(vectors)
        manifest = {
            "keys": [text_key(t) for t in texts],
            "shape": list(vectors.shape),
            "sha256": hashlib.sha256(data).hexdigest(),
        }
        atomic_write_bytes(shard.with_suffix(".npy"), data)
        atomic_write_bytes(shard.with_suffix(".json"), json.dumps(manifest).encode("utf-8"))
