"""Instruction displacement: one model's numbers, and the cross-model map (spec section 7, seed 001).

Two uses, no CLI code here:

- :func:`measure_displacement` -- for one model, how far each instruction condition moves the
  queries away from the base condition, in the model's own space and in its PCA-k space (the
  numbers the ``InstructionDisplacement`` task type writes into an MTEB result).
- :func:`build_displacement_map` -- for several models: PCA to k per model over all its
  conditions, orthogonal Procrustes of each model's Base onto a reference model, the normalized
  Procrustes distance matrix, and an MDS map of every (model, condition) point.

Embedding goes through the ``PromptedEncoder`` interface only (``spec``, ``variant``,
``embed(texts, prompt)``, ``reduce``), so every registered encoder works, and vectors come from
the prompt-aware embedding cache when they are there: a model run by ``mteb run`` is not encoded
again by the map.

Map points (``points=``):

``"configuration"`` (default)
    a (model, condition) point is the model's whole aligned N x k query configuration under that
    condition, flattened; the cosine distance between two points is then one minus the normalized
    Frobenius inner product of the two configurations. This is what seed 001's Figure 1 shows
    ("the cosine distance matrix between the embeddings of 18 models x 6 tasks", one point per
    model and task, models clustering by family): a centroid could not show that, because each
    model's PCA centres its conditions, so its condition centroids sum to zero and a model without
    an instruction slot has all of them at the origin.
``"centroid"``
    a point is the mean of the aligned query embeddings (the shift of each condition from the
    model's overall mean); offered for comparison.
"""

from __future__ import annotations

import csv
import io
import math
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mteb_redundancy.alignment import (
    DEFAULT_PCA_DIM,
    align_to_reference,
    cosine_distance_matrix,
    displacement,
    kruskal_stress,
    metric_mds,
    pad_to_common_width,
    pca_reduce_conditions,
    procrustes_distance_matrix,
    reference_scores,
    select_reference,
)
from mteb_redundancy.prompts import (
    DISPLACEMENT_CONDITIONS,
    INSTRUCTION_SLOT_STYLES,
    TASK_TYPE_INSTRUCTIONS,
    Prompt,
    condition_prompt,
)

DEFAULT_TASK = "InstructionDisplacementWiki"
TASK_TYPE = "InstructionDisplacement"
POINT_MODES = ("configuration", "centroid")
MEASURES = ("mean_cosine_distance", "centroid_shift", "centroid_cosine_distance")


# --------------------------------------------------------------------------------------------
# conditions and prompts
# --------------------------------------------------------------------------------------------
def validate_conditions(conditions: Mapping[str, str | None] | None) -> dict[str, str | None]:
    """An ordered copy of a condition table (name -> instruction, ``None`` = the base condition),
    checked: at least one instructed condition, exactly one base, names and instructions non-empty."""
    table = dict(DISPLACEMENT_CONDITIONS if conditions is None else conditions)
    if len(table) < 2:
        raise ValueError(
            f"A displacement analysis needs a base condition and at least one instructed condition; got "
            f"{list(table)}. Example: {{'Base': None, 'STS': 'Retrieve semantically similar text'}}."
        )
    for name, instruction in table.items():
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"Condition names must be non-empty strings; got {name!r}.")
        if instruction is not None and (not isinstance(instruction, str) or not instruction.strip()):
            raise ValueError(
                f"Condition {name!r} has instruction {instruction!r}; give a non-empty string, or null/None "
                f"for the base condition (the text as is)."
            )
    base_condition_of(table)
    return table


def base_condition_of(conditions: Mapping[str, str | None]) -> str:
    """The one condition whose instruction is ``None``."""
    bases = [name for name, instruction in conditions.items() if instruction is None]
    if len(bases) != 1:
        raise ValueError(
            f"Exactly one condition must have no instruction (None/null): it is the base the others are "
            f"measured from. Found {len(bases)}: {bases or 'none'} among {list(conditions)}."
        )
    return bases[0]


def condition_kind(condition: str) -> str | None:
    """The task kind a condition is named after (``"STS"`` -> ``"sts"``), for prefix models."""
    kind = condition.strip().lower()
    return kind if kind in TASK_TYPE_INSTRUCTIONS else None


def prompts_for_style(
    style: str,
    conditions: Mapping[str, str | None],
    *,
    prefixes: Mapping[str, str] | None = None,
    instruction_template: str | None = None,
    instructor_template: str | None = None,
) -> dict[str, Prompt]:
    """The prompt of every condition under one prompt style (see ``prompts.condition_prompt``)."""
    templates = {}
    if instruction_template is not None:
        templates["instruction_template"] = instruction_template
    if instructor_template is not None:
        templates["instructor_template"] = instructor_template
    return {
        name: condition_prompt(style, instruction, kind=condition_kind(name), prefixes=prefixes, **templates)
        for name, instruction in conditions.items()
    }


def prompts_for_encoder(encoder, conditions: Mapping[str, str | None], task_name: str = "") -> dict[str, Prompt]:
    """The prompt of every condition for a ``PromptedEncoder``, from its variant's style and its
    ``ModelSpec``'s templates and prefixes. A style without an instruction slot gets the encoder's
    own query prompt for every condition (e.g. PromptEOL with the spec's demonstrations)."""
    spec = encoder.spec
    if not instruction_slot(encoder.variant.prompt) and encoder.variant.prompt != "prefix":
        same = encoder.prompt_for(task_name, TASK_TYPE, "query")
        return {name: same for name in conditions}
    return prompts_for_style(
        encoder.variant.prompt,
        conditions,
        prefixes=spec.prefixes,
        instruction_template=spec.instruction_template,
        instructor_template=spec.instructor_template,
    )


def style_note(style: str, prompts: Mapping[str, Prompt] | None = None) -> str:
    """What the conditions mean under a prompt style, for the result file."""
    if style in ("none", "prompteol"):
        return (
            f"Prompt style {style!r} has no instruction slot: every condition is the same input, so every "
            f"displacement is 0 by construction, not a measurement of the model."
        )
    if style == "prefix":
        return (
            "Prompt style 'prefix' has no instruction slot: each instructed condition gets the model's prefix "
            "for that kind of task on the query side (the instruction text is not used); the base condition "
            "is the text without a prefix."
        )
    if style in INSTRUCTION_SLOT_STYLES:
        if prompts and len({p.key for p in prompts.values()}) == 1:
            return "All conditions resolved to the same prompt, so every displacement is 0 by construction."
        return f"Each condition's instruction fills the {style!r} template of the model; the base condition is the text as is."
    return f"Conditions passed to the model as its task prompt ({style})."


def instruction_slot(style: str) -> bool:
    return style in INSTRUCTION_SLOT_STYLES


# --------------------------------------------------------------------------------------------
# embedding
# --------------------------------------------------------------------------------------------
def check_queries(queries: Sequence[str]) -> list[str]:
    """Queries as a list of distinct, non-empty strings, or a ValueError saying what to fix."""
    queries = list(queries)
    if len(queries) < 2:
        raise ValueError(f"A displacement analysis needs at least 2 queries; got {len(queries)}.")
    bad = [i for i, q in enumerate(queries) if not isinstance(q, str) or not q.strip()]
    if bad:
        raise ValueError(f"Queries must be non-empty strings; entries {bad[:10]} are not. Remove them.")
    seen: dict[str, int] = {}
    duplicates = []
    for i, query in enumerate(queries):
        if query in seen:
            duplicates.append(f"{query!r} (entries {seen[query]} and {i})")
        seen.setdefault(query, i)
    if duplicates:
        raise ValueError(
            f"{len(duplicates)} duplicate queries: {'; '.join(duplicates[:5])}. Each query must occur once, "
            f"or it would count twice in every displacement."
        )
    return queries


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
    prompts = prompts_for_encoder(encoder, conditions, task_name)
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
    ``alignment.displacement`` for the three measures). The base condition has all zeros."""

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
        }
        for name, result in self.conditions.items():
            for measure in MEASURES:
                scores[f"{name}_{measure}"] = _finite_or_none(getattr(result, measure))
                scores[f"{name}_pca_{measure}"] = _finite_or_none(getattr(result, f"pca_{measure}"))
        scores["conditions"] = {name: result.to_dict() for name, result in self.conditions.items()}
        return scores


def _prompt_text(prompt: Prompt | None) -> str:
    if prompt is None:
        return ""
    return f"{prompt.prefix}{{text}}{prompt.suffix}" + (" [prefix not pooled]" if prompt.pool_text_only else "")


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
) -> ModelDisplacement:
    """Displacement of every condition from ``base_condition``, for one model.

    Parameters
    ----------
    embeddings : mapping of condition -> array (n_queries, dim)
        The model's embeddings of the same queries, in the same order, under each condition.
    base_condition : str
        The condition without an instruction.
    k : int, default 200
        PCA dimension of the second set of numbers; one basis is fitted on all conditions stacked
        and k is capped at ``min(k, n_conditions * n_queries - 1, dim)`` (reported).
    """
    if base_condition not in embeddings:
        raise ValueError(f"No embeddings for the base condition {base_condition!r}; got {list(embeddings)}.")
    if len(embeddings) < 2:
        raise ValueError("Need the base condition and at least one instructed condition.")
    raw = {name: np.asarray(X, dtype=np.float64) for name, X in embeddings.items()}
    reduced, pca = pca_reduce_conditions(raw, k=k)
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
        note=note if note is not None else style_note(prompt_style, prompts),
        base_condition=base_condition,
        n_queries=int(base.shape[0]),
        embedding_dim=int(base.shape[1]),
        pca_k_requested=pca.k_requested,
        pca_k=pca.k,
        pca_capped=pca.capped,
        conditions=results,
    )


# --------------------------------------------------------------------------------------------
# several models
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DisplacementMap:
    """The cross-model map of seed 001 (spec section 7 steps 2-6).

    ``distances[i, j]`` is the normalized Procrustes distance of model ``models[i]``'s Base aligned
    onto model ``models[j]``'s Base (row = aligned model, column = reference; not symmetric;
    zero diagonal). ``points`` lists ``(model, condition)`` in the order of the rows of
    ``point_distances`` and ``coords`` (the 2-D metric MDS of the cosine distances between points;
    ``stress`` is Kruskal's stress-1 of that fit). ``displacements[model][condition]`` are the
    measures of ``alignment.displacement`` from that model's Base, in the common aligned space.
    """

    models: list[str]
    conditions: list[str]
    base_condition: str
    k_requested: int
    k_by_model: dict[str, int]
    k_common: int
    distances: np.ndarray
    reference: str
    reference_chosen: str
    reference_scores: dict[str, float]
    point_mode: str
    points: list[tuple[str, str]]
    point_distances: np.ndarray
    coords: np.ndarray
    stress: float
    displacements: dict[str, dict[str, dict[str, float]]]


def build_displacement_map(
    embeddings: Mapping[str, Mapping[str, np.ndarray]],
    *,
    base_condition: str = "Base",
    k: int = DEFAULT_PCA_DIM,
    reference: str | None = None,
    points: str = "configuration",
    seed: int = 0,
) -> DisplacementMap:
    """Align several models and map every (model, condition).

    Parameters
    ----------
    embeddings : mapping of model -> (mapping of condition -> array (n_queries, dim_model))
        Every model with the same conditions and the same queries in the same order; widths may
        differ between models.
    base_condition : str
        The condition Procrustes is fitted on.
    k : int, default 200
        PCA dimension per model (capped per model; narrower models are zero-padded to the widest k,
        which changes no distance).
    reference : str, optional
        The model to align onto; by default the one with the least mean distance to the others.
    points : ``"configuration"`` or ``"centroid"``
        What a (model, condition) point is; see the module docstring.
    seed : int
        Seed of the metric MDS starts.
    """
    if points not in POINT_MODES:
        raise ValueError(f"Unknown points mode {points!r}; choose one of {', '.join(POINT_MODES)}.")
    if not isinstance(embeddings, Mapping) or not embeddings:
        raise ValueError("Give the embeddings of at least one model.")
    models = list(embeddings)
    conditions = list(embeddings[models[0]])
    for model in models[1:]:
        if list(embeddings[model]) != conditions:
            raise ValueError(
                f"{model!r} has conditions {list(embeddings[model])} but {models[0]!r} has {conditions}; every "
                f"model must be embedded under the same conditions (the same task)."
            )
    if base_condition not in conditions:
        raise ValueError(f"The base condition {base_condition!r} is not among the conditions {conditions}.")

    reduced: dict[str, dict[str, np.ndarray]] = {}
    k_by_model: dict[str, int] = {}
    for model in models:
        reduced[model], pca = pca_reduce_conditions(embeddings[model], k=k)
        k_by_model[model] = pca.k
    reduced = pad_to_common_width(reduced)
    k_common = max(k_by_model.values())

    names, D = procrustes_distance_matrix({m: reduced[m][base_condition] for m in models})
    scores = reference_scores(names, D)
    chosen = select_reference(names, D, reference)
    aligned = align_to_reference(reduced, chosen, base_condition)

    labels = [(m, c) for m in models for c in conditions]
    if points == "configuration":
        vectors = np.stack([aligned[m][c].ravel() for m, c in labels])
    else:
        vectors = np.stack([aligned[m][c].mean(axis=0) for m, c in labels])
        zero = [f"{m} / {c}" for (m, c), v in zip(labels, vectors) if not np.any(v)]
        if zero:
            raise ValueError(
                f"The centroid of {', '.join(zero[:4])} is the zero vector (a model whose conditions are all the "
                f"same input has every centroid at its PCA mean), so its cosine distance is undefined. Use "
                f"points='configuration'."
            )
    point_distances = cosine_distance_matrix(vectors)
    coords = metric_mds(point_distances, n_components=2, seed=seed)
    stress = kruskal_stress(point_distances, coords)

    moves = {
        m: {c: displacement(aligned[m][base_condition], aligned[m][c]) for c in conditions} for m in models
    }
    return DisplacementMap(
        models=models,
        conditions=conditions,
        base_condition=base_condition,
        k_requested=int(k),
        k_by_model=k_by_model,
        k_common=int(k_common),
        distances=D,
        reference=chosen,
        reference_chosen="given" if reference is not None else "least mean distance",
        reference_scores=scores,
        point_mode=points,
        points=labels,
        point_distances=point_distances,
        coords=coords,
        stress=float(stress),
        displacements=moves,
    )


# --------------------------------------------------------------------------------------------
# inputs from a task, embeddings from registered models
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DisplacementInputs:
    task_name: str
    queries: list[str]
    conditions: dict[str, str | None]
    base_condition: str
    pca_dim: int


def task_inputs(task_name: str = DEFAULT_TASK) -> DisplacementInputs:
    """The queries and conditions of a registered displacement task (so the map embeds exactly
    what ``mteb run -t <task>`` embedded, and reads it from the cache)."""
    import mteb

    from mteb_redundancy.registration import register_all
    from mteb_redundancy.tasktypes.displacement import AbsTaskInstructionDisplacement

    register_all()
    task = mteb.get_task(task_name)
    if not isinstance(task, AbsTaskInstructionDisplacement):
        raise ValueError(
            f"Task {task_name!r} is a {task.metadata.type} task, not an InstructionDisplacement task; "
            f"`mteb-redundancy tasks` lists the tasks and their types."
        )
    conditions = validate_conditions(task.conditions)
    return DisplacementInputs(
        task_name=task.metadata.name,
        queries=check_queries(task.load_queries()),
        conditions=conditions,
        base_condition=base_condition_of(conditions),
        pca_dim=task.pca_dim,
    )


def collect_embeddings(
    model_names: Sequence[str],
    inputs: DisplacementInputs,
    *,
    device: str | None = None,
    cache=None,
    batch_size: int | None = None,
) -> dict[str, dict[str, np.ndarray]]:
    """Every model's embeddings of the task's queries under every condition (cache first)."""
    from mteb_redundancy.variants import get_encoder

    out = {}
    for name in model_names:
        encoder = get_encoder(name, device=device, cache=cache)
        out[name] = embed_conditions(
            encoder, inputs.queries, inputs.conditions, task_name=inputs.task_name, batch_size=batch_size
        )
    return out


# --------------------------------------------------------------------------------------------
# tables
# --------------------------------------------------------------------------------------------
def _atomic_write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _csv_text(rows: list[list[Any]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def distance_rows(result: DisplacementMap) -> list[list[Any]]:
    header = ["aligned model \\ reference", *result.models]
    return [header] + [[m, *(float(v) for v in result.distances[i])] for i, m in enumerate(result.models)]


def point_rows(result: DisplacementMap) -> list[list[Any]]:
    header = ["model", "condition", "mds_x", "mds_y", *MEASURES]
    rows = [header]
    for (model, condition), (x, y) in zip(result.points, result.coords):
        move = result.displacements[model][condition]
        rows.append([model, condition, float(x), float(y), *(move[m] for m in MEASURES)])
    return rows


def _markdown(rows: list[list[Any]]) -> str:
    def cell(value: Any) -> str:
        text = f"{value:.4f}" if isinstance(value, float) else str(value)
        return text.replace("|", "\\|")

    lines = ["| " + " | ".join(cell(v) for v in rows[0]) + " |", "|" + " --- |" * len(rows[0])]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows[1:]]
    return "\n".join(lines)


def write_map_table(result: DisplacementMap, path: str | Path) -> list[Path]:
    """Write the distance matrix and the points: Markdown (``.md``) in one file; CSV (``.csv``) as
    ``<path>`` (the distance matrix) and ``<stem>-points.csv``. Returns the files written."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        points_path = path.with_name(f"{path.stem}-points.csv")
        _atomic_write_text(path, _csv_text(distance_rows(result)))
        _atomic_write_text(points_path, _csv_text(point_rows(result)))
        return [path, points_path]
    if suffix != ".md":
        raise ValueError(f"--table must end in .md or .csv; got {path.name!r}.")
    capped = {m: k for m, k in result.k_by_model.items() if k < result.k_requested}
    k_line = f"PCA k = {result.k_requested} per model" + (
        f" (capped: {', '.join(f'{m}: {k}' for m, k in capped.items())}; zero-padded to {result.k_common})" if capped else ""
    )
    reference_rows = [["model", "mean distance of the others aligned onto it"]] + [
        [m, result.reference_scores[m]] for m in result.models
    ]
    text = "\n\n".join(
        [
            "# Instruction displacement map",
            f"{k_line}. Reference model: **{result.reference}** ({result.reference_chosen}). "
            f"Map points: {result.point_mode}; metric MDS stress-1 = {result.stress:.4f}.",
            "## Normalized Procrustes distance (row aligned onto column, Base condition)",
            _markdown(distance_rows(result)),
            "## Reference choice",
            _markdown(reference_rows),
            "## Points and displacement from each model's Base (aligned space)",
            _markdown(point_rows(result)),
        ]
    )
    _atomic_write_text(path, text + "\n")
    return [path]


def read_distance_table(path: str | Path) -> tuple[list[str], np.ndarray]:
    """Read the distance matrix back from a table written by :func:`write_map_table`."""
    path = Path(path)
    text = path.read_text("utf-8")
    if path.suffix.lower() == ".csv":
        rows = list(csv.reader(io.StringIO(text)))
    else:
        section = text.split("## Normalized Procrustes distance", 1)[1].split("\n## ", 1)[0]
        table = [line for line in section.splitlines() if line.startswith("|")]
        rows = [[cell.strip().replace("\\|", "|") for cell in line.strip().strip("|").split(" | ")] for line in table]
        rows = [rows[0]] + rows[2:]
    names = rows[0][1:]
    matrix = np.array([[float(v) for v in row[1:]] for row in rows[1:]])
    return names, matrix
