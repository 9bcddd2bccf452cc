"""``ModelSpec``: what a plugin says about one base model. No MTEB import.

MTEB's ``ModelMeta`` stays the one description of a *variant* (its name, dimension, license...);
``ModelSpec`` says how to build those variants: which prompt styles and dimensions to expose,
which backend runs the model, and its prompt tables.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mteb_redundancy.models.names import VariantName
from mteb_redundancy.models.reduction import REDUCTIONS, dimension_grid
from mteb_redundancy.models.styles import (
    INSTRUCTION_TEMPLATE,
    INSTRUCTOR_TEMPLATE,
    PromptTables,
)


class ModelSpecTypeError(TypeError):
    """A ``ModelSpec`` field of the wrong type; the message names the field, the value and the type."""


# field -> (description, check); a string is never a list (``prompt_styles = "none"`` would be n, o, n, e)
_SEQUENCE = (list, tuple)
_FIELD_TYPES: dict[str, tuple[str, Any]] = {
    "revision": ("a string or nothing", lambda v: v is None or isinstance(v, str)),
    "prompt_styles": ("a list of strings", lambda v: isinstance(v, _SEQUENCE) and v and all(isinstance(x, str) for x in v)),
    "embed_dim": ("a whole number or nothing", lambda v: v is None or (isinstance(v, int) and not isinstance(v, bool) and v > 0)),
    "dims": ("a list of whole numbers", lambda v: isinstance(v, _SEQUENCE) and all(isinstance(x, int) and not isinstance(x, bool) and x > 0 for x in v)),
    "reductions": ("a list of strings", lambda v: isinstance(v, _SEQUENCE) and all(isinstance(x, str) for x in v)),
    "prefixes": ("a table of strings", lambda v: isinstance(v, Mapping) and all(isinstance(x, str) for x in v.values())),
    "instructions": ("a table of strings", lambda v: isinstance(v, Mapping) and all(isinstance(x, str) for x in v.values())),
    "document_instructions": ("a table of strings", lambda v: isinstance(v, Mapping) and all(isinstance(x, str) for x in v.values())),
    "instruction_template": ("a string with {instruction}", lambda v: isinstance(v, str) and "{instruction}" in v),
    "instructor_template": ("a string with {instruction}", lambda v: isinstance(v, str) and "{instruction}" in v),
    "backend": ("a string", lambda v: isinstance(v, str)),
    "similarity": ("a string", lambda v: isinstance(v, str)),
    # only a real boolean true runs a model folder's own code: the string "false" must not count as true
    "trust_remote_code": ("true or false (a boolean, not a string)", lambda v: isinstance(v, bool)),
    "max_seq_length": ("a whole number or nothing", lambda v: v is None or (isinstance(v, int) and not isinstance(v, bool) and v > 0)),
    "backend_options": ("a table", lambda v: isinstance(v, Mapping)),
    "meta": ("a table", lambda v: isinstance(v, Mapping)),
}


def _check_type(model_id: str, name: str, value: Any, kind: tuple[str, Any]) -> None:
    expected, check = kind
    if not check(value):
        raise ModelSpecTypeError(f"{model_id}: {name} must be {expected}; got {value!r} ({type(value).__name__}).")


@dataclass(frozen=True)
class ModelSpec:
    """A base embedding model and the variants of it to register.

    Parameters
    ----------
    model_id:
        The Hugging Face id (``org/name``) the variants are named after.
    revision:
        The hub commit; recorded in results and in cache keys.
    prompt_styles:
        Styles to expose, from ``none``, ``prefix``, ``instruction``, ``instructor``, ``prompteol``
        and any style a plugin registers (``register_prompt_styles``); checked when the spec is registered.
    embed_dim:
        Full embedding dimension. ``None`` takes it from MTEB's own metadata for ``model_id``;
        where that is unknown too, only full-dimension variants are registered up front and any
        ``dim=<d>`` is checked when the model loads.
    dims:
        Dimensions to register besides the default grid 2, 4, 8, ..., full.
    reductions:
        Reductions to register for every reduced dimension.
    prefixes, instructions, document_instructions:
        Overrides of ``styles.DEFAULT_PREFIXES``, ``styles.DEFAULT_INSTRUCTIONS`` and (INSTRUCTOR style)
        ``styles.INSTRUCTOR_DOCUMENT_INSTRUCTIONS`` (keys: task
        names, or the kinds ``query``/``document``/``classification``/``clustering``/``sts``/
        ``retrieval``/``reranking``).
    backend:
        What runs the model: ``sentence-transformers`` (any model ``SentenceTransformer`` loads), ``prompteol`` (any
        causal LM: last-token embeddings, PromptEOL) or ``instructor`` (any transformers encoder:
        mean pooling over the text's tokens); or any backend a plugin registers (``register_backends``).
    trust_remote_code:
        Whether the model folder's own code may run (a real boolean).
    max_seq_length:
        Tokens per input (longer inputs are truncated); ``None``: the model's own. Part of the
        embedding cache key when set.
    backend_options:
        The backend's options, checked when the backend is built (an unknown one is refused with the
        closest names): ``sentence-transformers`` takes ``precision`` and ``normalize_output``
        (``false`` drops the model's final ``Normalize`` module: the pooled vectors before L2
        normalisation); ``prompteol`` takes ``demonstrations`` (``[sentence, word]`` pairs,
        PromptEOL's in-context examples) and ``dtype``; ``instructor`` takes ``dtype``. An option
        that changes the vectors is part of the embedding cache key (``models.backends``).
    meta:
        Fields for MTEB's ``ModelMeta`` (``n_parameters``, ``license``, ``release_date``,
        ``languages``, ``reference``...), used where MTEB has no metadata of its own.
    """

    model_id: str
    revision: str | None = None
    prompt_styles: tuple[str, ...] = ("none",)
    embed_dim: int | None = None
    dims: tuple[int, ...] = ()
    reductions: tuple[str, ...] = REDUCTIONS
    prefixes: Mapping[str, str] = field(default_factory=dict)
    instructions: Mapping[str, str] = field(default_factory=dict)
    document_instructions: Mapping[str, str] = field(default_factory=dict)
    instruction_template: str = INSTRUCTION_TEMPLATE
    instructor_template: str = INSTRUCTOR_TEMPLATE
    backend: str = "sentence-transformers"
    similarity: str = "cosine"
    trust_remote_code: bool = False
    max_seq_length: int | None = None
    backend_options: Mapping[str, Any] = field(default_factory=dict)
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.model_id, str) or "/" not in self.model_id or self.model_id.count("/") != 1:
            raise ValueError(f"model_id must look like 'organization/name', got {self.model_id!r}.")
        for name, kind in _FIELD_TYPES.items():
            _check_type(self.model_id, name, getattr(self, name), kind)
        object.__setattr__(self, "prompt_styles", tuple(self.prompt_styles))
        object.__setattr__(self, "dims", tuple(self.dims))
        object.__setattr__(self, "reductions", tuple(self.reductions))
        unknown = [r for r in self.reductions if r not in REDUCTIONS]
        if unknown:
            raise ValueError(f"{self.model_id}: unknown reductions {unknown}; choose from {REDUCTIONS}.")

    @property
    def prompt_tables(self) -> PromptTables:
        """The model's prefixes, instructions, templates and PromptEOL demonstrations."""
        return PromptTables(
            self.prefixes,
            self.instructions,
            self.instruction_template,
            self.instructor_template,
            self.backend_options.get("demonstrations"),
            self.document_instructions,
        )

    def variant_names(self, full_dim: int | None = None) -> list[VariantName]:
        """Every variant to register: each style at full dimension, then each reduced dimension
        under each reduction."""
        full_dim = full_dim or self.embed_dim
        names = []
        for style in self.prompt_styles:
            names.append(VariantName(self.model_id, style))
            if full_dim is None:
                continue
            for d in dimension_grid(full_dim, self.dims):
                if d == full_dim:
                    continue
                names.extend(VariantName(self.model_id, style, d, r) for r in self.reductions)
        return names
