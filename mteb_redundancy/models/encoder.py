"""``PromptedEncoder``: the MTEB model wrapper behind every registered variant.

For each ``encode`` call MTEB makes, it picks the prompt from the task (MTEB passes
``prompt_type=None`` for classification and clustering, so the task type decides), serves the
full-dimension vectors from the embedding cache or the backend, and reduces them to the variant's
dimension.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from mteb.models.abs_encoder import AbsEncoder
from tqdm.auto import tqdm

from mteb_redundancy.models.backends import create_backend
from mteb_redundancy.models.cache import CacheKey, EmbeddingCache
from mteb_redundancy.models.names import VariantName
from mteb_redundancy.models.reduction import Reducer, check_dimension
from mteb_redundancy.models.spec import ModelSpec
from mteb_redundancy.models.styles import Prompt, get_style

if TYPE_CHECKING:
    from mteb.abstasks.task_metadata import TaskMetadata
    from mteb.models import ModelMeta
    from mteb.types import PromptType

logger = logging.getLogger(__name__)

# Texts are sorted by length and encoded in chunks of this size; each chunk is committed to the
# cache on its own, so an interrupted encoding resumes where it stopped.
CHUNK_SIZE = 1024
DEFAULT_BATCH_SIZE = 32


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
        # A backend may be shared with another variant of the same model (a sweep), so it loads once.
        self.backend = backend if backend is not None else create_backend(spec, self.location, device=device)
        self.style = get_style(variant.prompt)
        if cache is None or cache is True:
            cache = EmbeddingCache()
        self.cache = cache or None
        self.mteb_model_meta = mteb_model_meta
        self.show_progress = show_progress
        self.texts_encoded = 0  # texts that reached the model rather than the cache
        self._reducers: dict[tuple[str, str], Reducer] = {}
        self.pca_fits: dict[tuple[str, str], dict[str, str]] = {}  # the PCA fitting set per (task, subset)
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
        """Reduced vectors are re-normalized when the model's similarity is cosine."""
        return self.spec.similarity == "cosine"

    def prompt_for(self, task_name: str, task_type: str, side: str | None, task_prompt: str | None = None) -> Prompt:
        """The prompt for a task and side; ``task_prompt`` is the MTEB task's own prompt, if any."""
        return self.style.prompt(
            self.spec.prompt_tables, task_name=task_name, task_type=task_type, side=side, task_prompt=task_prompt
        )

    def condition_prompt(self, instruction: str | None, kind: str | None) -> Prompt:
        return self.style.condition_prompt(self.spec.prompt_tables, instruction, kind)

    def displacement_note(self, prompts=None) -> str:
        return self.style.displacement_note(prompts)

    def _cache_key(self, prompt: Prompt) -> CacheKey:
        # Every style spells the side out in the prompt text itself (a document prefix, no
        # instruction), and the backend encodes both sides alike; so the side the model sees is
        # always "text", and a prompt that is the same on both sides is cached once.
        revision = self.revision or f"path:{self.location}"
        if self.precision != "float32":  # float32 keys stay as they were
            revision = f"{revision}|precision={self.precision}"
        return CacheKey(self.spec.model_id, revision, prompt.key, "text")

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
        show = self.show_progress if show_progress is None else show_progress
        result = found
        with tqdm(
            total=len(todo),
            desc=f"Encoding with {self.spec.model_id} ({prompt.style})",
            unit="text",
            disable=not show or len(todo) < 2 * batch_size,
        ) as progress:
            for start in range(0, len(todo), CHUNK_SIZE):
                chunk = todo[start : start + CHUNK_SIZE]
                vectors = self.backend.encode(chunk, prompt, batch_size)
                self._check_finite(vectors, chunk)
                self.texts_encoded += len(chunk)
                if self.cache:
                    self.cache.store(key, chunk, vectors)
                if result is None:
                    result = np.zeros((len(texts), vectors.shape[1]), dtype=np.float32)
                for text, vector in zip(chunk, vectors):
                    result[unique[text]] = vector
                progress.update(len(chunk))
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
        from mteb_redundancy.mteb_bridge.fitting import pca_fitting_set

        slot = (task_metadata.name, hf_subset)
        if slot in self._reducers:
            return
        try:
            fitting = pca_fitting_set(task_metadata.name, hf_subset)
        except KeyError:  # a task object MTEB's registry does not know: fit on its first texts
            logger.warning("reduction=pca: %s is not a registered task; fitting on the first texts it sends.", task_metadata.name)
            return
        d = self.variant.dim
        if len(fitting.texts) <= d:
            raise ValueError(
                f"reduction=pca to d={d} needs more than {d} distinct texts to fit on; the fitting set of "
                f"{task_metadata.name} is {fitting.description}. Choose d below {len(fitting.texts)} or another reduction."
            )
        prompt = self.prompt_for(task_metadata.name, task_metadata.type, fitting.side, task_prompt)
        vectors = self.embed(fitting.texts, prompt)
        self._reducers[slot] = Reducer("pca", d, normalize=self.normalizes).fit(vectors)
        self.pca_fits[slot] = {"task": task_metadata.name, "hf_subset": hf_subset, "fitting_set": fitting.description}

    def reduce(self, vectors: np.ndarray, task_name: str = "", hf_subset: str = "default") -> np.ndarray:
        """Reduce full vectors to the variant's dimension. A PCA basis fitted for the task
        (:meth:`fit_pca_for_task`) is used for all of its splits; without one, the basis is fitted on
        the first vectors sent (a displacement analysis sends all its conditions at once)."""
        if self.variant.dim is None:
            return vectors
        check_dimension(self.variant.dim, vectors.shape[1], self.spec.model_id)
        slot = (task_name, hf_subset) if self.variant.reduction == "pca" else ("", "")
        reducer = self._reducers.get(slot)
        if reducer is None:
            reducer = Reducer(
                self.variant.reduction,
                self.variant.dim,
                normalize=self.normalizes,
            ).fit(vectors)
            self._reducers[slot] = reducer
        return reducer.transform(vectors)

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
        if self.variant.dim is not None and self.variant.reduction == "pca":
            self.fit_pca_for_task(task_metadata, hf_subset, task_prompt)
        full = self.embed(texts, prompt, batch_size=kwargs.get("batch_size"))
        return self.reduce(full, task_metadata.name, hf_subset)
