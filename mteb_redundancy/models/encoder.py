"""``PromptedEncoder``: the MTEB model wrapper behind every registered variant.

For each ``encode`` call MTEB makes, it picks the prompt from the task (MTEB passes
``prompt_type=None`` for classification and clustering, so the task type decides), serves the
full-dimension vectors from the embedding cache or the backend, reduces them to the variant's
dimension and quantizes them (``quantization=int8|binary``, ``models.quantization``).
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from mteb.models.abs_encoder import AbsEncoder
from tqdm.auto import tqdm

from mteb_redundancy.models.backends import create_backend
from mteb_redundancy.models.cache import CacheKey, EmbeddingCache, cache_disabled
from mteb_redundancy.models.names import VariantName
from mteb_redundancy.models.prompts import get_style
from mteb_redundancy.models.quantization import Quantizer, check_applies
from mteb_redundancy.models.reduction import Reducer, check_dimension, l2_normalize, renormalizes
from mteb_redundancy.models.spec import ModelSpec
from mteb_redundancy.models.styles import Prompt

if TYPE_CHECKING:
    from mteb.abstasks.task_metadata import TaskMetadata
    from mteb.models import ModelMeta
    from mteb.types import PromptType

logger = logging.getLogger(__name__)

# Texts are sorted by length and encoded a batch at a time; the vectors are committed to the cache
# every CHUNK_SIZE texts or COMMIT_SECONDS seconds, whichever comes first, so an interrupted encoding
# resumes where it stopped.
CHUNK_SIZE = 1024
COMMIT_SECONDS = 20.0
DEFAULT_BATCH_SIZE = 32


def _check_no_blocked_source(model_id: str) -> None:
    """Without the hub, a model with no local weights can only come from a plugin: if the plugin
    variable kept installed plugins out, say so now rather than fail later with the hub's error."""
    from mteb_redundancy.models.backends.transformers_common import hub_offline
    from mteb_redundancy.plugins import PLUGINS_VARIABLE, get_registry

    blocked = get_registry().blocked
    if hub_offline() and blocked:
        raise RuntimeError(
            f"{model_id} has no local weights, and the model hub is off (HF_HUB_OFFLINE). These installed plugins, "
            f"which may provide its weights, were not loaded because {PLUGINS_VARIABLE}={os.environ.get(PLUGINS_VARIABLE)!r}: "
            f"{', '.join(blocked)}. Allow them, e.g. {PLUGINS_VARIABLE}={','.join(blocked)}, or unset {PLUGINS_VARIABLE}."
        )


class PromptedEncoder(AbsEncoder):
    """An MTEB encoder for one variant: a base model, a prompt style and a reduction to ``d``.

    Besides MTEB's ``encode`` it offers what the project's task types use
    (``mteb_bridge.encoding.PromptAwareEncoder``): prompts per task, side and displacement condition,
    full-dimension vectors through the prompt-aware cache (``embed``), and ``reduce``.

    Parameters
    ----------
    spec:
        The base model's ``ModelSpec``.
    variant:
        Which prompt style, dimension and reduction.
    location:
        Where the weights are: a local folder or the hub id.
    revision:
        The revision recorded in cache keys.
    cache:
        An ``EmbeddingCache``; ``None`` uses the default location, ``False`` disables caching.
    """

    def __init__(
        self,
        spec: ModelSpec,
        variant: VariantName,
        *,
        location: str | None = None,
        revision: str | None = None,
        device: str | None = None,
        cache: EmbeddingCache | bool | None = None,
        mteb_model_meta: ModelMeta | None = None,
        show_progress: bool = True,
        backend: Any = None,
    ):
        self.spec = spec
        self.variant = variant
        self.revision = revision or spec.revision
        self.location = location or spec.model_id
        if self.location == spec.model_id:
            _check_no_blocked_source(spec.model_id)
        # A backend may be shared with another variant of the same model (a sweep), so it loads once.
        self.backend = backend if backend is not None else create_backend(spec, self.location, device=device)
        self.style = get_style(variant.prompt)
        if cache is None or cache is True:
            cache = None if cache_disabled() else EmbeddingCache()
        self.cache = cache or None
        self.mteb_model_meta = mteb_model_meta
        self.show_progress = show_progress
        self.texts_encoded = 0  # texts that reached the model rather than the cache
        self._reducers: dict[tuple[str, str], Reducer] = {}
        self._quantizers: dict[tuple[str, str], Quantizer] = {}
        self.quantization_fits: dict[tuple[str, str], dict[str, str]] = {}  # the int8 calibration set per (task, subset)
        self.pca_fits: dict[tuple[str, str], dict[str, str]] = {}  # the PCA fitting set per (task, subset)
        # One fitting set per (task, subset), loaded and embedded once for both the PCA and the int8 calibration.
        self._fitting: dict[tuple[str, str], tuple[Any, np.ndarray | None]] = {}
        if variant.dim is not None and spec.embed_dim is not None:
            check_dimension(variant.dim, spec.embed_dim, spec.model_id)

    @property
    def model(self):
        """The loaded underlying model (loads it)."""
        return self.backend.load()

    @property
    def name(self) -> str:
        return str(self.variant)

    @property
    def prompt_style(self) -> str:
        return self.variant.prompt

    @property
    def normalizes(self) -> bool:
        """Reduced vectors are re-normalised where they are re-normalised at all: the model's similarity
        is cosine and the variant is not ``normalize=false``. For an MTEB task, :meth:`normalizes_for`."""
        return renormalizes(None, self.spec.similarity, self.variant.normalize)

    def normalizes_for(self, task_type: str | None) -> bool:
        """Whether a task of ``task_type`` gets re-normalised reduced vectors (``reduction.renormalizes``)."""
        return renormalizes(task_type, self.spec.similarity, self.variant.normalize)

    def prompt_for(self, task_name: str, task_type: str, side: str | None, task_prompt: str | None = None) -> Prompt:
        """The prompt for a task and side; ``task_prompt`` is the MTEB task's own prompt, if any."""
        return self.style.prompt(
            self.spec.prompt_tables, task_name=task_name, task_type=task_type, side=side, task_prompt=task_prompt
        )

    def condition_prompt(self, instruction: str | None, kind: str | None) -> Prompt:
        return self.style.condition_prompt(self.spec.prompt_tables, instruction, kind)

    def displacement_note(self, prompts=None) -> str:
        return self.style.displacement_note(prompts)

    def cache_key(self, prompt: Prompt) -> CacheKey:
        """The embedding cache's key for this model's full-dimension vectors under ``prompt``."""
        return self._cache_key(prompt)

    def _cache_key(self, prompt: Prompt) -> CacheKey:
        # Every style spells the side out in the prompt text itself (a document prefix, no
        # instruction), and the backend encodes both sides alike; so the side the model sees is
        # always "text", and a prompt that is the same on both sides is cached once.
        # A local folder without a revision is keyed by its files' fingerprint, so replaced weights
        # are encoded again; with a revision the fingerprint is only recorded (and warned about).
        revision = self.revision or f"path:{self.location}@{self.weights_fingerprint}"
        weights = None if self.weights_fingerprint == "hub" else self.weights_fingerprint
        return CacheKey(
            self.spec.model_id, revision, prompt.key, "text", precision=self.precision, weights=weights,
            settings=self.vector_settings,
        )

    @property
    def vector_settings(self) -> dict[str, Any]:
        """The settings besides revision, prompt and precision that change this encoder's vectors, as
        its cache key holds them: ``max_seq_length`` where the spec sets it, and what the backend
        reports (``vector_settings``, see ``models.backends``). Empty for a model run as it comes."""
        settings: dict[str, Any] = {}
        if self.spec.max_seq_length is not None:
            settings["max_seq_length"] = self.spec.max_seq_length
        settings.update(getattr(self.backend, "vector_settings", None) or {})
        return settings

    @functools.cached_property
    def weights_fingerprint(self) -> str:
        """A digest of a local weights folder's file names, sizes and modification times (``"hub"`` for
        weights that are not a local folder). Sizes and times rather than the bytes: hashing gigabytes
        of weights on every start would cost more than the encoding a warm cache saves, and a copy,
        download or conversion writes new modification times."""
        folder = Path(self.location)
        if not folder.is_dir():
            return "hub"
        digest = hashlib.sha256()
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            stat = path.stat()
            digest.update(f"{path.relative_to(folder)}\x1f{stat.st_size}\x1f{stat.st_mtime_ns}\n".encode())
        return digest.hexdigest()[:16]

    @property
    def precision(self) -> str:
        """The precision the backend encodes in (``float32`` for a backend that does not say)."""
        return getattr(self.backend, "precision", "float32")

    def embed(
        self,
        texts: Sequence[str],
        prompt: Prompt,
        *,
        batch_size: int | None = None,
        show_progress: bool | None = None,
    ) -> np.ndarray:
        """Full-dimension embeddings of ``texts`` under ``prompt``, from the cache where possible."""
        texts = list(texts)
        if not texts:
            raise ValueError("Nothing to encode: the list of texts is empty.")
        batch_size = batch_size or DEFAULT_BATCH_SIZE
        key = self._cache_key(prompt)
        found, missing = self.cache.lookup(key, texts) if self.cache else (None, list(range(len(texts))))
        if not missing:
            return found
        unique: dict[str, list[int]] = {}
        for i in missing:
            unique.setdefault(texts[i], []).append(i)
        todo = sorted(unique, key=len, reverse=True)
        if self.cache:
            self.cache.check_writable()  # before the work, not after it
        show = self.show_progress if show_progress is None else show_progress
        result = found
        pending: list[str] = []
        pending_vectors: list[np.ndarray] = []
        last_commit = time.monotonic()

        def commit() -> None:
            nonlocal last_commit
            if self.cache and pending:
                self.cache.store(key, pending, np.vstack(pending_vectors))
            pending.clear()
            pending_vectors.clear()
            last_commit = time.monotonic()

        with tqdm(
            total=len(todo),
            desc=f"Encoding with {self.spec.model_id} ({prompt.style})",
            unit="text",
            disable=not show or len(todo) < 2 * batch_size,
        ) as progress:
            for start in range(0, len(todo), batch_size):
                batch = todo[start : start + batch_size]
                vectors = self.backend.encode(batch, prompt, batch_size)
                self._check_finite(vectors, batch)
                self.texts_encoded += len(batch)
                if result is None:
                    result = np.zeros((len(texts), vectors.shape[1]), dtype=np.float32)
                elif vectors.shape[1] != result.shape[1]:  # only cached vectors can differ: say what to do
                    self.cache.check_width(key, vectors.shape[1], held=result.shape[1])
                for text, vector in zip(batch, vectors):
                    result[unique[text]] = vector
                pending.extend(batch)
                pending_vectors.append(vectors)
                # Commit by count and by time, so an interrupted run loses at most a few seconds of work.
                if len(pending) >= CHUNK_SIZE or time.monotonic() - last_commit >= COMMIT_SECONDS:
                    commit()
                progress.update(len(batch))
            commit()
        return result

    def _check_finite(self, vectors: np.ndarray, texts: list[str]) -> None:
        bad = np.flatnonzero(~np.isfinite(vectors).all(axis=1))
        if bad.size:
            sample = texts[bad[0]][:80]
            raise ValueError(
                f"{self.spec.model_id} returned NaN or infinite embeddings for {bad.size} of {len(texts)} "
                f"texts (first: {sample!r}). Nothing was cached. Run the model in float32, or check "
                f"its weights and the input texts."
            )

    def fit_pca_for_task(self, task_metadata: TaskMetadata, hf_subset: str, task_prompt: str | None = None) -> None:
        """Fit this variant's PCA basis for a task on the task's fitting set
        (``mteb_bridge.fitting.pca_fitting_set``: the corpus for retrieval, every evaluation text
        otherwise), embedded under the task's prompt, before MTEB encodes anything of the task.
        The set is recorded in ``pca_fits``."""
        slot = (task_metadata.name, hf_subset)
        if slot in self._reducers:
            return
        fitting = self._fitting_set(task_metadata.name, hf_subset)
        if fitting is None:  # a task object MTEB's registry does not know: fit on its first texts
            logger.warning("reduction=pca: %s is not a registered task; fitting on the first texts it sends.", task_metadata.name)
            return
        d = self.variant.dim
        if len(fitting.texts) <= d:
            raise ValueError(
                f"reduction=pca to d={d} needs more than {d} distinct texts to fit on; the fitting set of "
                f"{task_metadata.name} is {fitting.description}. Choose d below {len(fitting.texts)} or another reduction."
            )
        vectors = self._fitting_vectors(task_metadata, hf_subset, task_prompt)
        self._reducers[slot] = Reducer("pca", d, normalize=False).fit(vectors)
        self.pca_fits[slot] = {"task": task_metadata.name, "hf_subset": hf_subset, "fitting_set": fitting.description}

    def _fitting_set(self, task_name: str, hf_subset: str):
        """The task's fitting set (``mteb_bridge.fitting``), loaded once per (task, subset); ``None``
        for a task MTEB's registry does not know."""
        from mteb_redundancy.mteb_bridge.fitting import pca_fitting_set

        slot = (task_name, hf_subset)
        if slot not in self._fitting:
            try:
                self._fitting[slot] = (pca_fitting_set(task_name, hf_subset), None)
            except KeyError:
                self._fitting[slot] = (None, None)
        return self._fitting[slot][0]

    def _fitting_vectors(self, task_metadata: TaskMetadata, hf_subset: str, task_prompt: str | None) -> np.ndarray:
        """Full-dimension vectors of the fitting set under the task's prompt, embedded once."""
        slot = (task_metadata.name, hf_subset)
        fitting, vectors = self._fitting[slot]
        if vectors is None:
            prompt = self.prompt_for(task_metadata.name, task_metadata.type, fitting.side, task_prompt)
            vectors = self.embed(fitting.texts, prompt)
            self._fitting[slot] = (fitting, vectors)
        return vectors

    def check_task(self, task_metadata: TaskMetadata) -> None:
        """Raise before any encoding when the variant's quantization does not apply to the task."""
        check_applies(self.variant.quantization, task_metadata.type, task_metadata.name)

    def fit_quantizer_for_task(self, task_metadata: TaskMetadata, hf_subset: str, task_prompt: str | None = None) -> None:
        """Calibrate ``quantization=int8`` for a task: per-dimension min and max of the task's fitting
        set (the texts ``reduction=pca`` fits on, ``mteb_bridge.fitting``), embedded under the task's
        prompt and reduced as the variant reduces. Recorded in ``quantization_fits``."""
        slot = (task_metadata.name, hf_subset)
        if self.variant.quantization != "int8" or slot in self._quantizers:
            return
        fitting = self._fitting_set(task_metadata.name, hf_subset)
        if fitting is None:  # a task object MTEB's registry does not know: calibrate on its first texts
            logger.info("quantization=int8: %s is not a registered task; calibrating on the first texts it sends.", task_metadata.name)
            return
        full = self._fitting_vectors(task_metadata, hf_subset, task_prompt)
        reduced = self._reduce_only(full, task_metadata.name, hf_subset, task_metadata.type)
        self._quantizers[slot] = Quantizer("int8").fit(reduced)
        self.quantization_fits[slot] = {"task": task_metadata.name, "hf_subset": hf_subset, "calibration_set": fitting.description}

    def reduce(
        self, vectors: np.ndarray, task_name: str = "", hf_subset: str = "default", task_type: str | None = None
    ) -> np.ndarray:
        """Reduce full vectors to the variant's dimension, re-normalised where a task of ``task_type``
        scores by the model's cosine similarity (:meth:`normalizes_for`; ``None``: as the model's
        similarity says), then quantize them (as float32 codes).
        A PCA basis fitted for the task (:meth:`fit_pca_for_task`) is used for all of its splits, and
        so is an int8 calibration (:meth:`fit_quantizer_for_task`); without them, both are fitted on
        the first vectors sent (a displacement analysis sends all its conditions at once)."""
        reduced = self._reduce_only(vectors, task_name, hf_subset, task_type)
        if self.variant.quantization is None:
            return reduced
        slot = (task_name, hf_subset)
        quantizer = self._quantizers.get(slot)
        if quantizer is None:
            quantizer = self._quantizers[slot] = Quantizer(self.variant.quantization).fit(reduced)
        return quantizer.transform(reduced)

    def _reduce_only(
        self, vectors: np.ndarray, task_name: str = "", hf_subset: str = "default", task_type: str | None = None
    ) -> np.ndarray:
        if self.variant.dim is None:
            return vectors
        check_dimension(self.variant.dim, vectors.shape[1], self.spec.model_id)
        slot = (task_name, hf_subset) if self.variant.reduction == "pca" else ("", "")
        reducer = self._reducers.get(slot)
        if reducer is None:
            # One projection per slot for every task type; whether to re-normalise is the task's.
            reducer = Reducer(self.variant.reduction, self.variant.dim, normalize=False).fit(vectors)
            self._reducers[slot] = reducer
        reduced = reducer.transform(vectors)
        return l2_normalize(reduced) if self.normalizes_for(task_type) else reduced

    def encode(
        self,
        inputs: Any,
        *,
        task_metadata: TaskMetadata,
        hf_split: str,
        hf_subset: str,
        prompt_type: PromptType | None = None,
        **kwargs: Any,
    ) -> np.ndarray:
        texts = [text for batch in inputs for text in batch["text"]]
        side = getattr(prompt_type, "value", prompt_type)
        task_prompt = task_metadata.prompt.get(side) if isinstance(task_metadata.prompt, dict) else task_metadata.prompt
        prompt = self.prompt_for(task_metadata.name, task_metadata.type, side, task_prompt)
        self.check_task(task_metadata)
        if self.variant.dim is not None and self.variant.reduction == "pca":
            self.fit_pca_for_task(task_metadata, hf_subset, task_prompt)
        if self.variant.quantization == "int8":
            self.fit_quantizer_for_task(task_metadata, hf_subset, task_prompt)
        full = self.embed(texts, prompt, batch_size=kwargs.get("batch_size"))
        return self.reduce(full, task_metadata.name, hf_subset, task_type=task_metadata.type)
