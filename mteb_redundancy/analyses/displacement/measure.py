"""One model's instruction displacement (Ogawa et al., section 4): how far each condition moves the
queries from the base condition, in the model's own space and in its PCA-k space. These are the
numbers the ``InstructionDisplacement`` task type writes into an MTEB result. No MTEB import.

Embedding goes through the prompt-aware encoder interface only (``embed(texts, prompt)``,
``reduce``), so vectors come from the prompt-aware embedding cache when they are there.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mteb_redundancy.analyses.displacement.conditions import (
    check_queries,
    condition_prompts,
    instruction_slot,
)
from mteb_redundancy.estimators._arrays import as_matrix, unit_rows
from mteb_redundancy.estimators.displacement import displacement
from mteb_redundancy.estimators.pca import (
    DEFAULT_PCA_DIM,
    PCA_FITS,
    pca_reduce_conditions,
    residual_coordinates,
)
from mteb_redundancy.models.prompts import registered_styles
from mteb_redundancy.models.styles import Prompt

MEASURES = ("mean_cosine_distance", "centroid_shift", "centroid_cosine_distance")


def embed_conditions(
    encoder,
    texts: Sequence[str],
    conditions: Mapping[str, str | None],
    *,
    task_name: str,
    hf_subset: str = "default",
    batch_size: int | None = None,
) -> dict[str, np.ndarray]:
    """Every condition's embeddings of ``texts`` by a ``PromptedEncoder``, at the variant's dimension.

    Vectors come from ``encoder.embed`` (the prompt-aware cache, then the model); a prompt shared by
    several conditions is embedded once. A reduced variant reduces all conditions together, so that
    a fitted reduction (``reduction=pca``) uses one basis for every condition.
    """
    texts = check_queries(texts)
    prompts = condition_prompts(encoder, conditions)
    by_prompt: dict[str, np.ndarray] = {}
    for prompt in prompts.values():
        if prompt.key not in by_prompt:
            by_prompt[prompt.key] = np.asarray(encoder.embed(texts, prompt, batch_size=batch_size))
    stacked = np.vstack([by_prompt[prompts[name].key] for name in conditions])
    reduced = np.asarray(encoder.reduce(stacked, task_name, hf_subset), dtype=np.float64)
    n = len(texts)
    return {name: reduced[i * n : (i + 1) * n] for i, name in enumerate(conditions)}



# --------------------------------------------------------------------------------------------
# one model
# --------------------------------------------------------------------------------------------
def _finite_or_none(value: float) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


@dataclass(frozen=True)
class ConditionDisplacement:
    """Base -> one condition, in the model's space and in its PCA-k space (see
    ``estimators.displacement.displacement`` for the three measures). The base condition has all zeros."""

    condition: str
    instruction: str | None
    prompt: str
    mean_cosine_distance: float
    centroid_shift: float
    centroid_cosine_distance: float
    pca_mean_cosine_distance: float
    pca_centroid_shift: float
    pca_centroid_cosine_distance: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "instruction": self.instruction,
            "prompt": self.prompt,
            **{name: _finite_or_none(getattr(self, name)) for name in MEASURES},
            **{f"pca_{name}": _finite_or_none(getattr(self, f"pca_{name}")) for name in MEASURES},
        }


@dataclass(frozen=True)
class ModelDisplacement:
    """One model's displacement under every condition.

    ``mean_displacement`` (the task's main score) is the mean over the instructed conditions of
    the mean per-query cosine distance from the base condition, in the model's own space. It is a
    size, not a quality: higher is neither better nor worse.
    """

    model: str
    prompt_style: str
    instruction_slot: bool
    note: str
    base_condition: str
    n_queries: int
    embedding_dim: int
    pca_k_requested: int
    pca_k: int
    pca_capped: bool
    pca_fit: str = "base"
    row_normalization: str = "l2"
    out_of_basis: str = "appended"  # the part outside the basis's fitting span, as extra coordinates
    conditions: dict[str, ConditionDisplacement] = field(default_factory=dict)

    @property
    def instructed(self) -> list[ConditionDisplacement]:
        return [c for name, c in self.conditions.items() if name != self.base_condition]

    @property
    def mean_displacement(self) -> float:
        return float(np.mean([c.mean_cosine_distance for c in self.instructed]))

    @property
    def max_displacement(self) -> float:
        return float(np.max([c.mean_cosine_distance for c in self.instructed]))

    def to_scores(self) -> dict[str, Any]:
        """The scores dict of an MTEB result: JSON-safe, flat ``<condition>_<measure>`` keys for
        tables and a nested ``conditions`` entry with the instruction and prompt of each."""
        scores: dict[str, Any] = {
            "mean_displacement": self.mean_displacement,
            "max_displacement": self.max_displacement,
            "pca_mean_displacement": float(np.mean([c.pca_mean_cosine_distance for c in self.instructed])),
            "prompt_style": self.prompt_style,
            "instruction_slot": self.instruction_slot,
            "note": self.note,
            "base_condition": self.base_condition,
            "n_queries": self.n_queries,
            "embedding_dim": self.embedding_dim,
            "pca_k_requested": self.pca_k_requested,
            "pca_k": self.pca_k,
            "pca_capped": self.pca_capped,
            "pca_fit": self.pca_fit,
            "row_normalization": self.row_normalization,
            "out_of_basis": self.out_of_basis,
        }
        for name, result in self.conditions.items():
            for measure in MEASURES:
                scores[f"{name}_{measure}"] = _finite_or_none(getattr(result, measure))
                scores[f"{name}_pca_{measure}"] = _finite_or_none(getattr(result, f"pca_{measure}"))
        scores["conditions"] = {name: result.to_dict() for name, result in self.conditions.items()}
        return scores


def _prompt_text(prompt: Prompt | None) -> str:
    if not isinstance(prompt, Prompt):  # no prompt, or an MTEB task prompt (its instruction is recorded)
        return ""
    return f"{prompt.prefix}{{text}}{prompt.suffix}" + (" [prefix not pooled]" if prompt.pool_text_only else "")


def _style_note(style: str, prompts) -> str:
    found = registered_styles().get(style)
    return found.displacement_note(prompts) if found else f"Conditions passed to the model as its task prompt ({style})."


def measure_displacement(
    embeddings: Mapping[str, np.ndarray],
    *,
    base_condition: str,
    k: int = DEFAULT_PCA_DIM,
    model: str = "",
    prompt_style: str = "",
    instructions: Mapping[str, str | None] | None = None,
    prompts: Mapping[str, Prompt] | None = None,
    note: str | None = None,
    pca_fit: str = "base",
) -> ModelDisplacement:
    """Displacement of every condition from ``base_condition``, for one model.

    Parameters
    ----------
    embeddings : mapping of condition -> array (n_queries, dim)
        The model's embeddings of the same queries, in the same order, under each condition.
    base_condition : str
        The condition without an instruction.
    k : int, default 200
        PCA dimension of the second set of numbers, capped at ``min(k, fit rows - 1, dim)`` (reported).
    pca_fit : ``"base"`` (default) or ``"all"``
        The PCA basis is fitted on the base condition's embeddings (Ogawa et al. define it on the
        matrix of the analysis queries) and applied to every condition; ``"all"`` fits it on all
        conditions stacked.

    Rows are L2-normalised first, so that no model's norm scale enters the measures (recorded as
    ``row_normalization``). The PCA-space measures append each condition's part outside the basis's
    fitting span as extra coordinates (``estimators.pca.residual_coordinates``; recorded as
    ``out_of_basis``), so that what an instruction moved outside the Base's N - 1 directions counts.
    """
    if base_condition not in embeddings:
        raise ValueError(f"No embeddings for the base condition {base_condition!r}; got {list(embeddings)}.")
    if len(embeddings) < 2:
        raise ValueError("Need the base condition and at least one instructed condition.")
    if pca_fit not in PCA_FITS:
        raise ValueError(f"pca_fit must be one of {', '.join(PCA_FITS)}; got {pca_fit!r}.")
    raw = {name: unit_rows(as_matrix(X, name), name) for name, X in embeddings.items()}
    fit_on = base_condition if pca_fit == "base" else None
    reduced, pca = pca_reduce_conditions(raw, k=k, fit_on=fit_on)
    # The out-of-basis part of each condition counts (docs/methods.md: instruction displacement).
    residual = residual_coordinates(raw, pca, fit_on=fit_on)
    reduced = {name: np.hstack([reduced[name], residual[name]]) for name in raw}
    results = {}
    for name in raw:
        own = displacement(raw[base_condition], raw[name])
        projected = displacement(reduced[base_condition], reduced[name])
        results[name] = ConditionDisplacement(
            condition=name,
            instruction=(instructions or {}).get(name),
            prompt=_prompt_text((prompts or {}).get(name)),
            **{measure: own[measure] for measure in MEASURES},
            **{f"pca_{measure}": projected[measure] for measure in MEASURES},
        )
    base = raw[base_condition]
    return ModelDisplacement(
        model=model,
        prompt_style=prompt_style,
        instruction_slot=instruction_slot(prompt_style),
        note=note if note is not None else _style_note(prompt_style, prompts),
        base_condition=base_condition,
        n_queries=int(base.shape[0]),
        embedding_dim=int(base.shape[1]),
        pca_k_requested=pca.k_requested,
        pca_k=pca.k,
        pca_capped=pca.capped,
        pca_fit=pca_fit,
        conditions=results,
    )


