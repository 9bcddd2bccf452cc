"""``ModelSpec``: what a plugin says about one base model. No MTEB import.

MTEB's ``ModelMeta`` stays the one description of a *variant* (its name, dimension, license...);
``ModelSpec`` says how to build those variants: which prompt styles and dimensions to expose,
which encoder runs the model, and its prompt tables.
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
    encoder:
        ``sentence-transformers`` (any model ``SentenceTransformer`` loads), ``prompteol`` (any
        causal LM: last-token embeddings, PromptEOL) or ``instructor`` (any transformers encoder:
        mean pooling over the text's tokens); or any encoder a plugin registers (``register_encoders``).
    encoder_options:
        The encoder's options: ``prompteol`` takes ``demonstrations`` (``[sentence, word]`` pairs,
        PromptEOL's in-context examples) and ``dtype``; ``instructor`` takes ``dtype``.
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
    encoder: str = "sentence-transformers"
    similarity: str = "cosine"
    trust_remote_code: bool = False
    max_seq_length: int | None = None
    encoder_options: Mapping[str, Any] = field(default_factory=dict)
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if "/" not in self.model_id:
            raise ValueError(f"model_id must look like 'organization/name', got {self.model_id!r}.")
        object.__setattr__(self, "prompt_styles", tuple(self.prompt_styles))
        object.__setattr__(self, "dims", tuple(int(d) for d in self.dims))
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
            self.encoder_options.get("demonstrations"),
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
