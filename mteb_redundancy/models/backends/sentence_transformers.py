"""Backend for any model that ``sentence_transformers.SentenceTransformer`` loads.

``ModelSpec.backend_options``: ``precision`` (``models.precision``) and ``normalize_output``
(default ``true``; ``false`` drops the model's own final ``Normalize`` module, so the vectors are the
pooled ones before L2 normalisation). ``ModelSpec.max_seq_length`` sets the tokens per input.
"""

from __future__ import annotations

import os
import threading

import numpy as np

from mteb_redundancy.models.backends.transformers_common import check_options, hub_offline
from mteb_redundancy.models.precision import resolve_precision
from mteb_redundancy.models.spec import ModelSpec
from mteb_redundancy.models.styles import Prompt


OPTIONS = ("precision", "normalize_output")


class SentenceTransformerBackend:
    """The model reads ``Prompt.apply(text)``, as under every backend. With ``pool_text_only``
    (INSTRUCTOR) the prompt's prefix goes to ``SentenceTransformer.encode(prompt=...)`` instead, which
    puts it back in front and leaves its tokens out of pooling. In bfloat16 the model runs under
    autocast (``models.precision``). Options are checked here, before any weights load."""

    def __init__(self, spec: ModelSpec, location: str, device: str | None = None, precision: str | None = None):
        options = check_options(spec, OPTIONS, "sentence-transformers")
        normalize_output = options.get("normalize_output", True)
        if not isinstance(normalize_output, bool):
            raise ValueError(
                f"{spec.model_id}: backend option normalize_output must be true or false (a boolean, not a "
                f"string); got {normalize_output!r} ({type(normalize_output).__name__})."
            )
        self.spec = spec
        self.location = location
        self.device = device
        self.precision = resolve_precision(precision or options.get("precision"), device)
        self.normalize_output = normalize_output
        self._model = None
        self._lock = threading.Lock()

    def load(self):
        with self._lock:
            if self._model is None:
                from sentence_transformers import SentenceTransformer

                is_local = os.path.isdir(self.location)
                model = SentenceTransformer(
                    self.location,
                    device=self.device,
                    revision=None if is_local else self.spec.revision,
                    trust_remote_code=self.spec.trust_remote_code,
                    local_files_only=is_local or hub_offline(),
                )
                if self.spec.max_seq_length:
                    model.max_seq_length = self.spec.max_seq_length
                if not self.normalize_output:
                    _drop_final_normalize(model)
                self._model = model
        return self._model

    @property
    def vector_settings(self) -> dict[str, bool]:
        """The options that change the vectors, where they differ from the default (the cache key's
        ``settings``; the precision is a field of its own)."""
        return {} if self.normalize_output else {"normalize_output": False}

    def _autocast(self, model):
        import contextlib

        if self.precision == "float32":
            return contextlib.nullcontext()
        import torch

        return torch.autocast(device_type=model.device.type, dtype=torch.bfloat16)

    @property
    def embed_dim(self) -> int:
        return int(self.load().get_sentence_embedding_dimension())

    def encode(self, texts: list[str], prompt: Prompt, batch_size: int) -> np.ndarray:
        model = self.load()
        inputs = [prompt.apply(text) for text in texts]
        excluded = prompt.prefix if prompt.pool_text_only else ""
        if excluded:  # apply() starts with the prefix; sentence-transformers puts it back, unpooled
            inputs = [text[len(excluded) :] for text in inputs]
        poolings = [module for module in model if hasattr(module, "include_prompt")]
        included = [module.include_prompt for module in poolings]
        if excluded:
            model.set_pooling_include_prompt(False)
        try:
            with self._autocast(model):
                vectors = model.encode(
                    inputs,
                    prompt=excluded or None,
                    batch_size=batch_size,
                    convert_to_numpy=True,
                    show_progress_bar=False,
                )
        finally:
            for module, value in zip(poolings, included):
                module.include_prompt = value
        return np.asarray(vectors, dtype=np.float32)


def _drop_final_normalize(model) -> None:
    """Remove the model's trailing ``Normalize`` modules, in place: what is left ends with pooling (or
    a dense layer after it), and every other setting of the loaded model stays. A model without one
    gives its vectors unchanged."""
    try:
        from sentence_transformers.sentence_transformer.modules import Normalize
    except ImportError:  # sentence-transformers before the modules moved
        from sentence_transformers.models import Normalize

    while len(model) and isinstance(model[-1], Normalize):
        del model[len(model) - 1]
