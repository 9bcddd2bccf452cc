"""Backends: what runs a model and turns prompted texts into full-dimension vectors.

``PromptedEncoder`` (the MTEB wrapper) is the same for every model; what differs per model family is
the backend named by ``ModelSpec.backend`` and registered through the ``register_backends`` hook. A
backend has ``encode(texts, prompt, batch_size)``, ``embed_dim`` and ``load()``; it loads its
weights only when it first has to encode, so a run served from the embedding cache never loads the
model.
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
