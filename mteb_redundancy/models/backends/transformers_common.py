"""What the plain-transformers backends (``prompteol``, ``instructor``) share: where and in what
precision the model runs, how it is loaded, which ``backend_options`` they accept, and the
length-sorted batching that keeps padding (and memory) small. The sentence-transformers backend
shares the check of its options and whether the hub is off."""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from mteb_redundancy.models.spec import ModelSpec

DTYPES = ("float32", "bfloat16", "float16")


def hub_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def check_options(spec: ModelSpec, allowed: Sequence[str], backend: str) -> Mapping[str, Any]:
    """``spec.backend_options``, refusing keys the backend does not know (with the closest ones)."""
    options = dict(spec.backend_options)
    for key in options:
        if key not in allowed:
            close = difflib.get_close_matches(key, allowed, n=2)
            hint = f" Did you mean {', '.join(close)}?" if close else ""
            raise ValueError(
                f"{spec.model_id}: backend {backend!r} has no option {key!r}; options: {', '.join(allowed)}.{hint}"
            )
    dtype = options.get("dtype")
    if dtype is not None and dtype not in DTYPES:
        raise ValueError(f"{spec.model_id}: dtype must be one of {', '.join(DTYPES)}, got {dtype!r}.")
    return options


def resolve_device(device: str | None) -> str:
    import torch

    if device:
        return device
    if torch.cuda.is_available():
        return "cuda"
    return "cpu"


def resolve_dtype(device: str, requested: str | None):
    """bfloat16 on a GPU that has it (float16 otherwise), float32 on CPU, unless the spec says."""
    import torch

    if requested:
        return getattr(torch, requested)
    if device.startswith("cuda"):
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.float32


def pretrained_kwargs(spec: ModelSpec, location: str, dtype=None) -> dict[str, Any]:
    """Keyword arguments for ``from_pretrained``: a local folder is read as is, a hub id at the
    spec's revision; remote code only where the spec opts in."""
    is_local = os.path.isdir(location)
    kwargs: dict[str, Any] = {
        "revision": None if is_local else spec.revision,
        "trust_remote_code": spec.trust_remote_code,
        "local_files_only": is_local or hub_offline(),
    }
    if dtype is not None:
        import transformers

        major, minor = (int(part) for part in transformers.__version__.split(".")[:2])
        kwargs["dtype" if (major, minor) >= (4, 56) else "torch_dtype"] = dtype
    return kwargs


def length_sorted_batches(lengths: Sequence[int], batch_size: int) -> Iterator[list[int]]:
    """Indices in batches of similar length, longest first: padding stays small, and a batch
    that runs out of memory does so at once rather than at the end."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i], reverse=True)
    for start in range(0, len(order), max(1, batch_size)):
        yield order[start : start + batch_size]


class TransformersBackend:
    """What the plain-transformers backends share once loaded: the tokenizer, the hidden size, and
    the dtype that goes into the cache key. A subclass sets ``dtype_name``, ``device``, ``_tokenizer``
    and implements ``load()``."""

    dtype_name: str | None = None
    device: str | None = None

    def load(self):
        raise NotImplementedError

    @property
    def tokenizer(self):
        self.load()
        return self._tokenizer

    @property
    def precision(self) -> str:
        """The dtype the model runs in, for the cache key (the default depends on the device)."""
        return self.dtype_name or ("float32" if resolve_device(self.device) == "cpu" else "auto-gpu")

    @property
    def embed_dim(self) -> int:
        return int(self.load().config.hidden_size)
