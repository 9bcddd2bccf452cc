"""The cross-model map of instruction displacement (Ogawa et al., section 4, Figure 1).

For several models: PCA to k per model, orthogonal Procrustes of each model's Base onto a reference
model, the normalized Procrustes distance matrix, and an MDS map of every (model, condition) point.
Embeddings come through the prompt-aware encoder interface, so from the embedding cache when
``mteb run`` already put them there. No CLI code here.

Map points (``points=``):

``"configuration"`` (default)
    a (model, condition) point is the model's whole aligned N x k query configuration under that
    condition, flattened; the cosine distance between two points is then one minus the normalized
    Frobenius inner product of the two configurations. This is what Ogawa et al.'s Figure 1 shows
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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mteb_redundancy._io import atomic_write_text, csv_text, markdown_table
from mteb_redundancy.analyses.displacement.conditions import (
    DEFAULT_TASK,
    base_condition_of,
    check_queries,
    validate_conditions,
)
from mteb_redundancy.analyses.displacement.measure import MEASURES, embed_conditions
from mteb_redundancy.estimators._arrays import as_matrix, unit_rows
from mteb_redundancy.estimators.displacement import displacement
from mteb_redundancy.estimators.mds import (
    cosine_distance_matrix,
    kruskal_stress,
    metric_mds,
)
from mteb_redundancy.estimators.pca import (
    DEFAULT_PCA_DIM,
    PCA_FITS,
    pad_to_common_width,
    pca_reduce_conditions,
    residual_coordinates,
)
from mteb_redundancy.estimators.procrustes import (
    align_to_reference,
    procrustes_distance_matrix,
    reference_scores,
    select_reference,
)

POINT_MODES = ("configuration", "centroid")


# --------------------------------------------------------------------------------------------
# several models
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DisplacementMap:
    """The cross-model map of Ogawa et al. (docs/methods.md: instruction displacement).

    ``distances[i, j]`` is the normalized Procrustes distance of model ``models[i]``'s Base aligned
    onto model ``models[j]``'s Base (row = aligned model, column = reference; not symmetric;
    zero diagonal). ``points`` lists ``(model, condition)`` in the order of the rows of
    ``point_distances`` and ``coords`` (the 2-D metric MDS of the cosine distances between points;
    ``stress`` is Kruskal's stress-1 of that fit). ``displacements[model][condition]`` are the
    measures of ``estimators.displacement.displacement`` from that model's Base, in the common aligned space.

    The common space is the aligned Base basis followed by one block per model holding that model's
    part of each condition outside its basis's fitting span (``out_of_basis``; the rotation extended
    by the identity there): within a model every length is that of its L2-normalised, centred
    embeddings, and between models only the aligned part is shared (another model's out-of-basis
    block is orthogonal to it, since no Procrustes fit relates those directions).
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
    pca_fit: str = "base"
    row_normalization: str = "l2"
    out_of_basis: str = "appended"


def _with_residual_blocks(
    aligned: Mapping[str, Mapping[str, np.ndarray]], residual: Mapping[str, Mapping[str, np.ndarray]], models: list[str]
) -> dict[str, dict[str, np.ndarray]]:
    """``[aligned basis | block of model 1 | block of model 2 | ...]``, each model's residual in its own block."""
    widths = {m: next(iter(residual[m].values())).shape[1] for m in models}
    offsets = dict(zip(models, np.cumsum([0, *(widths[m] for m in models)])))
    total = sum(widths.values())
    out: dict[str, dict[str, np.ndarray]] = {}
    for m in models:
        out[m] = {}
        for c, X in aligned[m].items():
            block = np.zeros((X.shape[0], total))
            block[:, offsets[m] : offsets[m] + widths[m]] = residual[m][c]
            out[m][c] = np.hstack([X, block])
    return out


def _checked_conditions(
    embeddings: Mapping[str, Mapping[str, np.ndarray]], base_condition: str, points: str, pca_fit: str
) -> list[str]:
    """The conditions every model shares, after checking the options and that the models agree."""
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
    if pca_fit not in PCA_FITS:
        raise ValueError(f"pca_fit must be one of {', '.join(PCA_FITS)}; got {pca_fit!r}.")
    return conditions


def _reduce_each_model(
    embeddings: Mapping[str, Mapping[str, np.ndarray]], models: list[str], k: int, fit_on: str | None
) -> tuple[dict[str, dict[str, np.ndarray]], dict[str, dict[str, np.ndarray]], dict[str, int]]:
    """Each model's unit rows in its own PCA basis (padded to the widest k), what that basis leaves
    out, and each model's k."""
    reduced: dict[str, dict[str, np.ndarray]] = {}
    residual: dict[str, dict[str, np.ndarray]] = {}
    k_by_model: dict[str, int] = {}
    for model in models:
        unit = {c: unit_rows(as_matrix(X, f"{model} / {c}"), f"{model} / {c}") for c, X in embeddings[model].items()}
        reduced[model], pca = pca_reduce_conditions(unit, k=k, fit_on=fit_on)
        residual[model] = residual_coordinates(unit, pca, fit_on=fit_on)
        k_by_model[model] = pca.k
    return pad_to_common_width(reduced), residual, k_by_model


def _point_vectors(aligned: Mapping[str, Mapping[str, np.ndarray]], labels: list[tuple[str, str]], points: str) -> np.ndarray:
    """One vector per (model, condition): the whole aligned configuration, or its centroid."""
    if points == "configuration":
        return np.stack([aligned[m][c].ravel() for m, c in labels])
    vectors = np.stack([aligned[m][c].mean(axis=0) for m, c in labels])
    zero = [f"{m} / {c}" for (m, c), v in zip(labels, vectors) if not np.any(v)]
    if zero:
        raise ValueError(
            f"The centroid of {', '.join(zero[:4])} is the zero vector (a model whose conditions are all the "
            f"same input has every centroid at its PCA mean), so its cosine distance is undefined. Use "
            f"points='configuration'."
        )
    return vectors


def build_displacement_map(
    embeddings: Mapping[str, Mapping[str, np.ndarray]],
    *,
    base_condition: str = "Base",
    k: int = DEFAULT_PCA_DIM,
    reference: str | None = None,
    points: str = "configuration",
    seed: int = 0,
    pca_fit: str = "base",
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
        Seed of extra random MDS starts (none by default: the map starts from classical MDS).
    pca_fit : ``"base"`` (default) or ``"all"``
        Each model's PCA basis is fitted on its base condition and applied to all conditions (Ogawa
        et al.), so identical base embeddings give distance 0 and coincident base points whatever
        the instructions do; ``"all"`` fits it on all conditions stacked.

    Every embedding row is L2-normalised first, so no model's norm scale enters the distances. The
    models are processed in sorted order and reported in the order given, so the map does not depend
    on the order of the models.
    """
    conditions = _checked_conditions(embeddings, base_condition, points, pca_fit)
    given_order = list(embeddings)
    models = sorted(given_order)

    fit_on = base_condition if pca_fit == "base" else None
    reduced, residual, k_by_model = _reduce_each_model(embeddings, models, k, fit_on)

    names, D = procrustes_distance_matrix({m: reduced[m][base_condition] for m in models})
    scores = reference_scores(names, D)
    chosen = select_reference(names, D, reference)
    aligned = _with_residual_blocks(align_to_reference(reduced, chosen, base_condition), residual, models)

    labels = [(m, c) for m in models for c in conditions]
    point_distances = cosine_distance_matrix(_point_vectors(aligned, labels, points))
    coords = metric_mds(point_distances, n_components=2, seed=seed)
    stress = kruskal_stress(point_distances, coords)

    moves = {
        m: {c: displacement(aligned[m][base_condition], aligned[m][c]) for c in conditions} for m in given_order
    }
    # Back to the order the models were given in.
    model_order = [models.index(m) for m in given_order]
    point_order = [labels.index((m, c)) for m in given_order for c in conditions]
    return DisplacementMap(
        models=given_order,
        conditions=conditions,
        base_condition=base_condition,
        k_requested=int(k),
        k_by_model={m: k_by_model[m] for m in given_order},
        k_common=int(max(k_by_model.values())),
        distances=D[np.ix_(model_order, model_order)],
        reference=chosen,
        reference_chosen="given" if reference is not None else "least mean distance",
        reference_scores={m: scores[m] for m in given_order},
        point_mode=points,
        points=[labels[i] for i in point_order],
        point_distances=point_distances[np.ix_(point_order, point_order)],
        coords=coords[point_order],
        stress=float(stress),
        displacements=moves,
        pca_fit=pca_fit,
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

    from mteb_redundancy.analyses.displacement.task_type import (
        AbsTaskInstructionDisplacement,
    )

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
    precision: str | None = None,
    show_progress: bool = True,
) -> dict[str, dict[str, np.ndarray]]:
    """Every model's embeddings of the task's queries under every condition (cache first)."""
    from mteb_redundancy.models.variants import get_encoder

    out = {}
    for name in model_names:
        encoder = get_encoder(name, device=device, cache=cache, precision=precision, show_progress=show_progress)
        out[name] = embed_conditions(
            encoder, inputs.queries, inputs.conditions, task_name=inputs.task_name, batch_size=batch_size
        )
    return out



# --------------------------------------------------------------------------------------------
# tables
# --------------------------------------------------------------------------------------------
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


def write_map_table(result: DisplacementMap, path: str | Path) -> list[Path]:
    """Write the distance matrix and the points: Markdown (``.md``) in one file; CSV (``.csv``) as
    ``<path>`` (the distance matrix) and ``<stem>-points.csv``. Returns the files written."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        points_path = path.with_name(f"{path.stem}-points.csv")
        atomic_write_text(path, csv_text(distance_rows(result)))
        atomic_write_text(points_path, csv_text(point_rows(result)))
        return [path, points_path]
    if suffix != ".md":
        raise ValueError(f"--table must end in .md or .csv; got {path.name!r}.")
    capped = {m: k for m, k in result.k_by_model.items() if k < result.k_requested}
    k_line = f"Rows L2-normalised; PCA k = {result.k_requested} per model, fitted on " + (
        "the base condition" if result.pca_fit == "base" else "all conditions"
    ) + (
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
            markdown_table(distance_rows(result)[0], distance_rows(result)[1:]),
            "## Reference choice",
            markdown_table(reference_rows[0], reference_rows[1:]),
            "## Points and displacement from each model's Base (aligned space, with each condition's part outside "
            "the model's Base basis appended, so lengths are those of the L2-normalised embeddings)",
            markdown_table(point_rows(result)[0], point_rows(result)[1:]),
        ]
    )
    atomic_write_text(path, text + "\n")
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

