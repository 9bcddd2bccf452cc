"""The built-in backends, registered through the ``register_backends`` hook.

Each factory imports its backend module when called: torch and transformers are slow to import, and
a run served from the embedding cache never loads a model.
"""

from mteb_redundancy.hookspecs import hookimpl


def sentence_transformers(spec, location, device=None):
    from mteb_redundancy.models.backends.sentence_transformers import (
        SentenceTransformerBackend,
    )

    return SentenceTransformerBackend(spec, location, device=device)


def prompteol(spec, location, device=None):
    from mteb_redundancy.models.backends.prompteol import PromptEOLBackend

    return PromptEOLBackend(spec, location, device=device)


def instructor(spec, location, device=None):
    from mteb_redundancy.models.backends.instructor import InstructorBackend

    return InstructorBackend(spec, location, device=device)


@hookimpl
def register_backends(register):
    register("sentence-transformers", sentence_transformers)
    register("prompteol", prompteol)
    register("instructor", instructor)
