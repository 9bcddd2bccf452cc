"""Encoders: what turns prompted texts into full-dimension vectors.

``PromptedEncoder`` (the MTEB wrapper) is the same for every model; what differs per model family is
the backend named by ``ModelSpec.encoder``. A backend has ``encode(texts, prompt, batch_size)`` and
``load()``; it loads its weights only when it first has to encode, so a run served from the
embedding cache never loads the model.
"""

from __future__ import annotations

import importlib

# encoder name -> "module:class", imported on first use (torch and transformers are slow to import)
BACKENDS = {
    "sentence-transformers": "mteb_redundancy.encoders.sentence_transformers:SentenceTransformerBackend",
    "prompteol": "mteb_redundancy.encoders.prompteol:PromptEOLBackend",
    "instructor": "mteb_redundancy.encoders.instructor:InstructorBackend",
}


def backend_class(encoder: str):
    try:
        target = BACKENDS[encoder]
    except KeyError:
        import difflib

        close = difflib.get_close_matches(encoder, BACKENDS, n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise ValueError(f"Unknown encoder {encoder!r}; available: {', '.join(BACKENDS)}.{hint}") from None
    module_name, _, class_name = target.partition(":")
    return getattr(importlib.import_module(module_name), class_name)
