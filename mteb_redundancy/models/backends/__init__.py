"""Backends: what runs a model and turns prompted texts into full-dimension vectors.

``PromptedEncoder`` (the MTEB wrapper) is the same for every model; what differs per model family is
the backend named by ``ModelSpec.backend`` and registered through the ``register_backends`` hook. A
backend has ``encode(texts, prompt, batch_size)``, ``embed_dim`` and ``load()``; it loads its
weights only when it first has to encode, so a run served from the embedding cache never loads the
model. It checks its ``ModelSpec.backend_options`` when it is built, before any weights load.

Two optional attributes go into the embedding cache's key (``PromptedEncoder.cache_key``):
``precision`` (a string, ``float32`` where absent) and ``vector_settings``, a dict of the options that
change the vectors besides the precision, the prompt and ``ModelSpec.max_seq_length`` (JSON scalars,
e.g. ``{"normalize_output": False}``), listing only those that differ from the backend's default, so
that a model run at its defaults keeps its cache namespace. A backend without it reports none: a
backend option that changes the vectors must be reported there, or its vectors are served from the
cache under the default's key.
"""

from __future__ import annotations


def create_backend(spec, location: str, device: str | None = None):
    """The backend ``spec.backend`` names, for the weights at ``location``."""
    import difflib

    from mteb_redundancy.plugins import get_registry

    backends = get_registry().backends
    factory = backends.get(spec.backend)
    if factory is None:
        close = difflib.get_close_matches(spec.backend, list(backends), n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise ValueError(f"Unknown backend {spec.backend!r}; available: {', '.join(backends)}.{hint}")
    return factory(spec, location, device=device)
