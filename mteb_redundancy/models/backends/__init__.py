"""Encoder backends: what turns prompted texts into full-dimension vectors.

``PromptedEncoder`` (the MTEB wrapper) is the same for every model; what differs per model family is
the backend named by ``ModelSpec.encoder`` and registered through the ``register_encoders`` hook. A
backend has ``encode(texts, prompt, batch_size)``, ``embed_dim`` and ``load()``; it loads its
weights only when it first has to encode, so a run served from the embedding cache never loads the
model.
"""

from __future__ import annotations


def create_backend(spec, location: str, device: str | None = None):
    """The backend ``spec.encoder`` names, for the weights at ``location``."""
    import difflib

    from mteb_redundancy.plugins import get_registry

    encoders = get_registry().encoders
    factory = encoders.get(spec.encoder)
    if factory is None:
        close = difflib.get_close_matches(spec.encoder, list(encoders), n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise ValueError(f"Unknown encoder {spec.encoder!r}; available: {', '.join(encoders)}.{hint}")
    return factory(spec, location, device=device)
