"""``recommend``: the smallest embedding (reduction, d, quantization) that keeps a fraction of a
task's full-dimension float32 score, from one dimension sweep (one encoding per model, prompt and
task split), and whether a label-free redundancy measurement predicts how far d can be cut.

1. The sweep engine scores every (reduction, d, quantization) with MTEB's own evaluators and writes
   each as an MTEB result (an experiment of the base model); nothing is encoded twice.
2. Relative score = score / the full-dimension float32 score of the same task; the recommendation is
   the configuration with the fewest bytes per vector whose relative score is at least ``keep``,
   per task and, on the mean relative score of a task type's tasks, per task type.
3. Prediction (Tsukagoshi & Sasano 2025 link redundancy to truncation tolerance): per task and
   reduction, ``d_score`` is the smallest d from which the float32 score stays at or above ``keep``
   of the full score, and ``d_label_free`` the smallest d from which the TwoNN ID (or IsoScore) of the
   task's own texts, reduced the same way (the Redundancy task type's ``by_dimension`` measures),
   stays at or above ``keep`` of its full-dimension value. Their Spearman correlation across tasks,
   prompt types and reductions, with a bootstrap and a Fisher interval, says whether the cheap
   measurement ranks tasks as the expensive one does.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import mteb  # first: importing mteb registers the plugins' models and tasks
import numpy as np
from mteb.abstasks.abstask import AbsTask
from tqdm.auto import tqdm

from mteb_redundancy._io import atomic_write_text, markdown_table
from mteb_redundancy.analyses.recommend.selection import (
    bootstrap_interval,
    check_keep,
    fisher_interval,
    pareto_front,
    relative_scores,
    smallest_meeting,
    spearman,
    threshold_dim,
)
from mteb_redundancy.analyses.redundancy.measure import measure_by_dimension
from mteb_redundancy.plugins import get_estimator
from mteb_redundancy.analyses.sweep.engine import FULL, SweepError, SweepResult, _resolve_tasks, run_sweep
from mteb_redundancy.models.names import VariantName
from mteb_redundancy.models.quantization import QUANTIZABLE_TASK_TYPES, QUANTIZATIONS, QuantizationError, check_applies
from mteb_redundancy.models.reduction import REDUCTIONS
from mteb_redundancy.models.variants import get_encoder
from mteb_redundancy.mteb_bridge.fitting import fitting_set_of_task

DEFAULT_DIMS = (2, 4, 8, 16, 32, 64, 128, FULL)
# Texts the label-free measure uses per task (a seeded sample of the task's fitting set).
DEFAULT_PREDICTOR_TEXTS = 1000


class RecommendError(ValueError):
    """A recommendation that cannot be made as asked; raised before anything is encoded."""


@dataclass
class ConfigRow:
    """One configuration on one task (or, with ``task == ""``, the mean over a task type's tasks)."""

    task: str
    task_type: str
    metric: str
    reduction: str  # at full dimension: "full"
    dim: int
    quantization: str
    bytes_per_vector: int
    score: float
    relative_score: float
    on_pareto_front: bool = False
    chosen: bool = False

    @property
    def method(self) -> str:
        return f"{self.reduction} · {self.quantization}"


@dataclass
class Choice:
    scope: str  # a task name, or a task type
    kind: str  # "task" or "task type"
    keep: float
    full_bytes: int
    full_score: float
    config: ConfigRow | None  # None: no configuration keeps `keep` of the full score
    note: str = ""

    @property
    def saving(self) -> float | None:
        """The fraction of the full float32 vector's bytes saved."""
        return None if self.config is None else 1 - self.config.bytes_per_vector / self.full_bytes


@dataclass
class Prediction:
    task: str
    task_type: str
    prompt: str
    reduction: str
    d_score: int | None
    d_label_free: int | None
    curve: list[dict] = field(default_factory=list)  # by d: relative score and relative measure


@dataclass
class Correlation:
    predictor: str
    n: int
    spearman: float
    bootstrap: tuple[float, float]
    fisher: tuple[float, float]


@dataclass
class RecommendResult:
    model: str
    prompt: str
    keep: float
    full_dim: int
    predictor: str
    rows: list[ConfigRow]  # per task
    type_rows: list[ConfigRow]  # per task type (mean relative score)
    choices: list[Choice]
    predictions: list[Prediction]
    correlation: Correlation
    sweep: SweepResult
    texts_encoded: int = 0

    def choice(self, scope: str) -> Choice:
        return next(c for c in self.choices if c.scope == scope)

    def to_csv(self, path: str | Path | None = None) -> str:
        buffer = io.StringIO()
        fields = [f for f in ConfigRow.__dataclass_fields__]
        writer = csv.DictWriter(buffer, fieldnames=["scope", *fields], lineterminator="\n")
        writer.writeheader()
        for row in self.rows:
            writer.writerow({"scope": "task", **asdict(row)})
        for row in self.type_rows:
            writer.writerow({"scope": "task type", **asdict(row)})
        text = buffer.getvalue()
        if path is not None:
            atomic_write_text(path, text)
        return text

    def to_markdown(self) -> str:
        full_bytes = 4 * self.full_dim
        out = [
            f"## Smallest configuration keeping {100 * self.keep:g}% of the full score",
            "",
            f"{self.model}, prompt={self.prompt}; full vector: {self.full_dim} dims in float32 = {full_bytes} bytes. "
            "Relative score = score / the task's full-dimension float32 score (MTEB's main score).",
            "",
        ]
        body = []
        for choice in self.choices:
            if choice.config is None:
                body.append([choice.kind, choice.scope, "none meets it", "", "", "", "", choice.note])
                continue
            c = choice.config
            body.append([
                choice.kind, choice.scope, f"{c.reduction} d={c.dim}" if c.reduction != "full" else f"full d={c.dim}",
                c.quantization, c.bytes_per_vector, f"{100 * choice.saving:.1f}%", f"{c.relative_score:.4f}", choice.note,
            ])
        header = ["scope", "task / type", "reduction, d", "quantization", "bytes/vector", "saving", "relative score", "note"]
        out += [markdown_table(header, body), ""]
        out += [f"## Label-free prediction ({self.predictor})", ""]
        out += [
            f"d_score: the smallest d from which the float32 score stays at or above {self.keep:g} of the full score; "
            f"d_label_free: the smallest d from which the {self.predictor} of the task's own texts (reduced the same "
            "way) stays at or above that fraction of its full-dimension value.",
            "",
        ]
        body = [[p.task, p.task_type, p.prompt, p.reduction, p.d_score if p.d_score is not None else "-",
                 p.d_label_free if p.d_label_free is not None else "-"] for p in self.predictions]
        out += [markdown_table(["task", "type", "prompt", "reduction", "d_score", "d_label_free"], body), ""]
        c = self.correlation
        if math.isnan(c.spearman):
            out += [f"Spearman correlation over {c.n} (task, prompt, reduction) pairs: undefined (fewer than 3 pairs "
                    "or a constant column), so the label-free measure cannot be judged here.", ""]
        else:
            out += [
                f"Spearman correlation of d_label_free with d_score over {c.n} (task, prompt, reduction) pairs: "
                f"**{c.spearman:.3f}** (95% bootstrap interval {_interval(c.bootstrap)}; Fisher interval "
                f"{_interval(c.fisher)}).",
                "",
            ]
        out += ["## Every configuration, per task type (mean relative score over its tasks)", ""]
        out += [_config_table(self.type_rows), ""]
        out += ["## Every configuration, per task", ""]
        out += [_config_table(self.rows), ""]
        return "\n".join(out)


def _interval(pair: tuple[float, float]) -> str:
    return "undefined" if any(math.isnan(v) for v in pair) else f"{pair[0]:.3f}..{pair[1]:.3f}"


def _config_table(rows: Sequence[ConfigRow]) -> str:
    body = [
        [r.task or r.task_type, r.reduction, r.dim, r.quantization, r.bytes_per_vector, f"{100 * r.score:.2f}",
         f"{r.relative_score:.4f}", "yes" if r.on_pareto_front else "", "**chosen**" if r.chosen else ""]
        for r in sorted(rows, key=lambda r: (r.task or r.task_type, r.bytes_per_vector, -r.relative_score))
    ]
    header = ["task / type", "reduction", "d", "quantization", "bytes", "score x100", "relative", "Pareto", ""]
    return markdown_table(header, body, align=["left", "left", "right", "left", "right", "right", "right", "left", "left"])


# ----------------------------------------------------------------------------------------------
# Checking the request before any encoding


def check_tasks(tasks: Sequence[str | AbsTask], quantizations: Sequence[str]) -> list[AbsTask]:
    """The tasks, if each has a main score that a fraction of can be kept (a higher-is-better score
    of one of MTEB's scoring task types) and each quantization applies to it; ``RecommendError``
    before any encoding otherwise."""
    try:
        resolved = _resolve_tasks(tasks)
    except SweepError as error:
        raise RecommendError(str(error)) from None
    for task in resolved:
        metadata = task.metadata
        if not metadata.main_score or metadata.type not in QUANTIZABLE_TASK_TYPES:
            raise RecommendError(
                f"{metadata.name} (task type {metadata.type}, main score {metadata.main_score!r}) has no main score "
                f"that a fraction of can be kept: recommend compares higher-is-better scores of MTEB's scoring "
                f"task types ({', '.join(QUANTIZABLE_TASK_TYPES)}). Intrinsic dimension and displacement are "
                "measurements, not scores."
            )
        for quantization in quantizations:
            try:
                check_applies(quantization, metadata.type, metadata.name)
            except QuantizationError as error:
                raise RecommendError(str(error)) from None
    return resolved


# ----------------------------------------------------------------------------------------------
# From the sweep to the decisions


def _config_rows(sweep: SweepResult) -> dict[str, list[ConfigRow]]:
    """Per task, one row per configuration, with its relative score (full float32 = 1 exactly)."""
    per_task: dict[str, list[ConfigRow]] = {}
    for task in dict.fromkeys(row.task for row in sweep.rows):
        rows = [r for r in sweep.rows if r.task == task]
        full = next(r for r in rows if r.is_full and r.quantization == "float32")
        seen: set[tuple[str, int, str]] = set()
        configs = []
        for r in rows:
            reduction = "full" if r.is_full else r.reduction
            key = (reduction, r.dim, r.quantization)
            if key in seen:  # the full-dimension score is listed under every reduction's curve
                continue
            seen.add(key)
            # x / x is exactly 1 in floating point: the full float32 configuration has relative score 1.
            relative = float(relative_scores([r.score], full.score)[0])
            configs.append(ConfigRow(task, r.task_type, r.metric, reduction, r.dim, r.quantization,
                                     int(r.bytes_per_vector), r.score, relative))
        per_task[task] = configs
    return per_task


def _mark(rows: list[ConfigRow], keep: float) -> ConfigRow | None:
    front = pareto_front([r.bytes_per_vector for r in rows], [r.relative_score for r in rows])
    for row, on in zip(rows, front):
        row.on_pareto_front = bool(on)
    index = smallest_meeting([r.bytes_per_vector for r in rows], [r.relative_score for r in rows], keep)
    if index is None:
        return None
    rows[index].chosen = True
    return rows[index]


def _type_rows(per_task: dict[str, list[ConfigRow]]) -> dict[str, list[ConfigRow]]:
    """Per task type, the mean relative score (and score) of each configuration every one of its tasks has."""
    by_type: dict[str, list[str]] = {}
    for task, rows in per_task.items():
        by_type.setdefault(rows[0].task_type, []).append(task)
    out: dict[str, list[ConfigRow]] = {}
    for task_type, tasks in by_type.items():
        keys = None
        for task in tasks:
            here = {(r.reduction, r.dim, r.quantization) for r in per_task[task]}
            keys = here if keys is None else keys & here
        rows = []
        for key in sorted(keys, key=lambda k: (k[1], k[0], k[2])):
            members = [next(r for r in per_task[t] if (r.reduction, r.dim, r.quantization) == key) for t in tasks]
            metric = ", ".join(sorted({m.metric for m in members}))
            rows.append(ConfigRow("", task_type, metric, key[0], key[1], key[2], members[0].bytes_per_vector,
                                  float(np.mean([m.score for m in members])),
                                  float(np.mean([m.relative_score for m in members]))))
        out[task_type] = rows
    return out


def _choice(scope: str, kind: str, rows: list[ConfigRow], keep: float, full_dim: int) -> Choice:
    chosen = _mark(rows, keep)
    full = next(r for r in rows if r.reduction == "full" and r.quantization == "float32")
    note = ""
    if math.isnan(full.relative_score) or not full.score > 0:
        note = "the full score is not positive: a fraction of it means nothing"
    elif chosen is None:
        note = f"no configuration keeps {keep:g} of the full score"
    return Choice(scope, kind, keep, 4 * full_dim, full.score, chosen, note)


def _predictor_texts(task: AbsTask, limit: int, seed: int = 0) -> tuple[list[str], str | None]:
    fitting = fitting_set_of_task(task)
    texts = fitting.texts
    if len(texts) > limit:
        index = np.sort(np.random.default_rng(seed).choice(len(texts), size=limit, replace=False))
        texts = [texts[i] for i in index]
    return texts, fitting.side


def _predictions(
    sweep: SweepResult, tasks: list[AbsTask], model: str, prompt: str, keep: float, predictor: str,
    encoder, limit: int, show_progress: bool,
) -> list[Prediction]:
    out = []
    float_rows = [r for r in sweep.rows if r.quantization == "float32"]
    reductions = sorted({r.reduction for r in float_rows if not r.is_full})
    for task in tqdm(tasks, desc="Label-free measure", unit="task", disable=not show_progress):
        name = task.metadata.name
        texts, side = _predictor_texts(task, limit)
        if len(texts) < 4:
            continue
        task_prompt = task.metadata.prompt.get(side) if isinstance(task.metadata.prompt, dict) else task.metadata.prompt
        vectors = encoder.embed(texts, encoder.prompt_for(name, task.metadata.type, side, task_prompt), show_progress=False)
        vectors = np.unique(vectors, axis=0)
        rows = [r for r in float_rows if r.task == name]
        full = next(r for r in rows if r.is_full)
        for reduction in reductions:
            curve_rows = sorted({r.dim: r for r in rows if r.is_full or r.reduction == reduction}.values(), key=lambda r: r.dim)
            dims = [r.dim for r in curve_rows if r.dim < len(vectors)]
            if not dims:
                continue
            measures = {m["d"]: m[predictor] for m in measure_by_dimension(vectors, dims, reduction=reduction,
                                                                          normalize=encoder.normalizes)}
            full_measure = measures[dims[-1]]
            relative_score = {r.dim: float(relative_scores([r.score], full.score)[0]) for r in curve_rows}
            relative_measure = {d: (measures[d] / full_measure if full_measure > 0 else float("nan")) for d in dims}
            out.append(Prediction(
                name, task.metadata.type, prompt, reduction,
                threshold_dim(list(relative_score), list(relative_score.values()), keep),
                threshold_dim(dims, [relative_measure[d] for d in dims], keep),
                [{"d": d, "relative_score": relative_score.get(d), f"relative_{predictor}": relative_measure[d],
                  predictor: measures[d]} for d in dims],
            ))
    return out


def _correlation(predictions: list[Prediction], predictor: str) -> Correlation:
    pairs = [(p.d_score, p.d_label_free) for p in predictions if p.d_score is not None and p.d_label_free is not None]
    x = [math.log2(a) for a, _ in pairs]
    y = [math.log2(b) for _, b in pairs]
    r = spearman(x, y) if pairs else float("nan")
    return Correlation(predictor, len(pairs), r, bootstrap_interval(x, y), fisher_interval(r, len(pairs)))


def run_recommend(
    model: str,
    prompt: str = "none",
    tasks: Sequence[str | AbsTask] = ("WikiTopicClassification",),
    keep: float = 0.99,
    *,
    dims: Sequence[int | str | None] = DEFAULT_DIMS,
    reductions: Sequence[str] = REDUCTIONS,
    quantizations: Sequence[str] = QUANTIZATIONS,
    output_folder: str | Path = "results",
    predictor: str = "twonn",
    predictor_texts: int = DEFAULT_PREDICTOR_TEXTS,
    device: str | None = None,
    embedding_cache=None,
    batch_size: int = 32,
    show_progress: bool = True,
    precision: str | None = None,
) -> RecommendResult:
    """Sweep ``model`` under ``prompt`` over every (reduction, d, quantization) on ``tasks`` and pick,
    per task and per task type, the configuration with the fewest bytes per vector that keeps at
    least ``keep`` of the full-dimension float32 score. Bad input (``keep`` outside (0, 1], a task
    without a comparable main score, a quantization that does not apply) is an error before encoding.
    """
    try:
        keep = check_keep(keep)
    except ValueError as error:
        raise RecommendError(str(error)) from None
    try:
        predictor = get_estimator(predictor).name
    except ValueError as error:
        raise RecommendError(str(error)) from None
    if not isinstance(model, str) or not isinstance(prompt, str):
        raise RecommendError("recommend takes one model and one prompt style.")
    quantizations = [quantizations] if isinstance(quantizations, str) else list(quantizations)
    reductions = [reductions] if isinstance(reductions, str) else list(reductions)
    if "float32" not in quantizations:
        quantizations = ["float32", *quantizations]  # the reference every relative score divides by
    dims = list(dims)
    if not any(d is None or str(d).lower() == FULL for d in dims):
        dims.append(FULL)  # the full dimension is the reference
    resolved = check_tasks(tasks, quantizations)
    try:
        sweep = run_sweep(model, prompt, dims, reductions, resolved, output_folder, device=device,
                          embedding_cache=embedding_cache, batch_size=batch_size, show_progress=show_progress,
                          precision=precision, quantizations=quantizations)
    except SweepError as error:
        raise RecommendError(str(error)) from None
    full_dim = next(r.full_dim for r in sweep.rows)
    per_task = _config_rows(sweep)
    choices = [_choice(task, "task", rows, keep, full_dim) for task, rows in per_task.items()]
    per_type = _type_rows(per_task)
    choices += [_choice(task_type, "task type", rows, keep, full_dim) for task_type, rows in per_type.items()]
    encoder = get_encoder(str(VariantName(model, prompt)), device=device, cache=embedding_cache,
                          show_progress=show_progress, precision=precision)
    predictions = _predictions(sweep, resolved, model, prompt, keep, predictor, encoder, predictor_texts, show_progress)
    return RecommendResult(
        model=model, prompt=prompt, keep=keep, full_dim=full_dim, predictor=predictor,
        rows=[r for rows in per_task.values() for r in rows],
        type_rows=[r for rows in per_type.values() for r in rows],
        choices=choices, predictions=predictions, correlation=_correlation(predictions, predictor), sweep=sweep,
        texts_encoded=sweep.texts_encoded + encoder.texts_encoded,
    )
