"""``recommend``: the smallest embedding (reduction, d, quantization) that keeps a fraction of a
task's full-dimension float32 score, from one dimension sweep (one encoding per model, prompt and
task split), and whether a label-free redundancy measurement predicts how far d can be cut.

1. The sweep engine scores every (reduction, d, quantization) with MTEB's own evaluators and writes
   each as an MTEB result (an experiment of the base model); nothing is encoded twice.
2. Relative score = score / the full-dimension float32 score of the same task, or, chance-corrected
   (``relative="chance"``), (score - chance) / (full - chance) with the task's chance level from its own
   data (``mteb_bridge.chance``: accuracy, AP and MAP have floors above 0, and a task type's mean would
   mix them); the recommendation is
   the configuration with the fewest bytes per vector whose relative score is at least ``keep``,
   per task and, on the mean relative score of a task type's tasks, per task type.
3. Prediction (Tsukagoshi & Sasano 2025 link redundancy to truncation tolerance): per task and
   reduction, ``d_score`` is the smallest d from which the float32 score stays at or above ``keep``
   of the full score, and ``d_label_free`` the smallest d from which the TwoNN ID (or IsoScore) of the
   task's own texts, reduced the same way, is not shown to fall below ``keep`` of its value on the full
   vectors (:func:`label_free_curve`: the rule, the PCA cap, IsoScore as dimensions used). Their
   Spearman correlation across tasks and reductions, with a bootstrap resampling tasks and a Fisher
   interval on the number of tasks, says whether the cheap measurement ranks tasks as the expensive
   one does.
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
    RELATIVE_SCORES,
    bootstrap_interval,
    check_keep,
    fisher_interval,
    pareto_front,
    relative_scores,
    smallest_meeting,
    spearman,
    threshold_dim,
)
from mteb_redundancy.analyses.sweep.engine import FULL, SweepError, SweepResult, _resolve_tasks, run_sweep
from mteb_redundancy.models.names import VariantName
from mteb_redundancy.models.quantization import QUANTIZABLE_TASK_TYPES, QUANTIZATIONS, QuantizationError, check_applies
from mteb_redundancy.estimators.bootstrap import _split_half_interval, paired_bootstrap
from mteb_redundancy.models.reduction import REDUCTIONS, Reducer
from mteb_redundancy.models.variants import get_encoder
from mteb_redundancy.mteb_bridge.chance import chance_level
from mteb_redundancy.mteb_bridge.fitting import fitting_set_of_task
from mteb_redundancy.plugins import get_estimator, registered_estimators

DEFAULT_DIMS = (2, 4, 8, 16, 32, 64, 128, FULL)
# Texts the label-free measure uses per task (a seeded sample of the task's fitting set).
DEFAULT_PREDICTOR_TEXTS = 1000
# Random split-halves of those texts behind each label-free curve's intervals (docs/methods.md: recommend).
PREDICTOR_RESAMPLES = 200


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
    bootstrap: tuple[float, float]  # resampling tasks, each with all its reductions
    fisher: tuple[float, float]  # n = the number of tasks
    n_tasks: int = 0


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
    relative: str = "plain"  # "plain": score / full; "chance": (score - chance) / (full - chance)
    chance_levels: dict[str, dict] = field(default_factory=dict)  # per task, with "chance": its level and "how"

    def relative_score_text(self) -> str:
        if self.relative == "chance":
            return ("Relative score (chance-corrected) = (score - chance) / (full score - chance), the full score being "
                    "the task's full-dimension float32 main score and chance the task's chance level (below).")
        return "Relative score (plain) = score / the task's full-dimension float32 score (MTEB's main score)."

    def choice(self, scope: str) -> Choice:
        return next(c for c in self.choices if c.scope == scope)

    def to_csv(self, path: str | Path | None = None) -> str:
        buffer = io.StringIO()
        fields = [f for f in ConfigRow.__dataclass_fields__]
        writer = csv.DictWriter(buffer, fieldnames=["scope", *fields, "relative_score_kind"], lineterminator="\n")
        writer.writeheader()
        for row in self.rows:
            writer.writerow({"scope": "task", **asdict(row), "relative_score_kind": self.relative})
        for row in self.type_rows:
            writer.writerow({"scope": "task type", **asdict(row), "relative_score_kind": self.relative})
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
            f"{self.relative_score_text()}",
            "",
        ]
        if self.chance_levels:
            out += [markdown_table(["task", "chance level", "from"],
                                   [[t, f"{v['chance']:.4f}", v["how"]] for t, v in self.chance_levels.items()]), ""]
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
            f"way{'; as dimensions used, 1 + (d - 1) x IsoScore' if self.predictor == 'isoscore' else ''}), relative to "
            "its value on the full unreduced vectors, is not shown to fall below that fraction: the upper end of its "
            "95% paired split-half interval (random halves of the same texts at every d; it covers the expectation of "
            "the ratio at this number of texts) stays at or above it. The score and the measure are both relative to "
            "the full dimension (PCA's curve stops below the number of texts, then jumps to the full vectors).",
            "",
        ]
        body = [[p.task, p.task_type, p.prompt, p.reduction, p.d_score if p.d_score is not None else "-",
                 p.d_label_free if p.d_label_free is not None else "-"] for p in self.predictions]
        out += [markdown_table(["task", "type", "prompt", "reduction", "d_score", "d_label_free"], body), ""]
        c = self.correlation
        if math.isnan(c.spearman):
            out += [f"Spearman correlation over {c.n} (task, prompt, reduction) pairs: undefined (fewer than 3 pairs "
                    "or a constant column), so the label-free measure cannot be judged here.", ""]
        elif any(math.isnan(v) for v in c.bootstrap):
            out += [f"Spearman correlation of d_label_free with d_score over {c.n} (task, prompt, reduction) pairs from "
                    f"{c.n_tasks} tasks: **{c.spearman:.3f}** (no interval: it needs at least 4 tasks, the independent "
                    "units).", ""]
        else:
            out += [
                f"Spearman correlation of d_label_free with d_score over {c.n} (task, prompt, reduction) pairs from "
                f"{c.n_tasks} tasks: **{c.spearman:.3f}** (95% bootstrap interval resampling tasks with all their "
                f"reductions {_interval(c.bootstrap)}; Fisher interval with n = {c.n_tasks} tasks {_interval(c.fisher)}).",
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


def _config_rows(sweep: SweepResult, chances: dict[str, float] | None = None) -> dict[str, list[ConfigRow]]:
    """Per task, one row per configuration, with its relative score (full float32 = 1 exactly),
    chance-corrected where ``chances`` gives the task's chance level."""
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
            relative = float(relative_scores([r.score], full.score, (chances or {}).get(task, 0.0))[0])
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
    if math.isnan(full.relative_score):
        note = "the full score does not exceed the chance level (0 for the plain relative score): a fraction of it means nothing"
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


# What each label-free predictor measures decides how its curve is scaled (docs/methods.md: recommend).
# An intrinsic dimension is compared as it is. An isotropy score s (IsoScore: (k - 1) / (n - 1) for data
# spread evenly over k of n dims) rises as d falls, because fewer coordinates are spread more evenly:
# IsoScore(d) / IsoScore(full) exceeded 1 at every d < full, so the predictor always answered d = 2. It is
# compared as the number of dimensions the data use, 1 + (n - 1) s (Rudman et al. 2022), which falls with d.
# Any estimator of a point cloud can be added here (name -> its kind and its function).
def predictor_names() -> tuple[str, ...]:
    """The label-free predictors ``recommend`` accepts: every registered estimator."""
    return tuple(estimator.name for estimator in registered_estimators())


def check_predictor(name: str) -> str:
    try:
        return get_estimator(name).name
    except ValueError as error:
        raise RecommendError(f"Unknown predictor: {error}") from None


def _curve_value(predictor: str, value: np.ndarray, n_dims: int) -> np.ndarray:
    if get_estimator(predictor).family == "isotropy":
        return 1 + (n_dims - 1) * np.asarray(value, dtype=np.float64)
    return np.asarray(value, dtype=np.float64)


def label_free_curve(
    vectors: np.ndarray,
    dims: Sequence[int],
    reduction: str,
    keep: float,
    predictor: str = "twonn",
    *,
    normalize: bool = True,
    n_resamples: int = PREDICTOR_RESAMPLES,
    confidence: float = 0.95,
    seed: int = 0,
) -> tuple[int | None, list[dict]]:
    """``(d_label_free, curve)`` for one reduction of one task's texts (``vectors``, distinct rows).

    The curve is the predictor at each d of ``dims`` below the full dimension (``pca`` only where
    d < the number of texts: a PCA fitted on m texts has m - 1 components), and at the full dimension
    itself, so that the curve and the score are scaled at the same reference: the unreduced vectors
    the full score was measured on (``pca``: all its components, min(full, m - 1), which keep every
    distance of the centred texts; the curve then shows what truncation loses, not PCA's centring). Each point is relative to the full one, with a paired split-half
    interval (the same halves of the same texts at every d). ``d_label_free`` is the smallest d from
    which on the interval's upper end stays at or above ``keep``: a d is cut only where the
    measurement shows a loss beyond the margin, not where the estimator's own noise (TwoNN: about 3.7%
    at 1,000 texts) could have made one.
    """
    vectors = np.asarray(vectors)
    m, full_dim = vectors.shape
    cap = m - 1 if reduction == "pca" else full_dim - 1
    curve_dims = sorted({int(d) for d in dims if int(d) <= cap and int(d) < full_dim} | {full_dim})
    if reduction == "pca":
        # The full point is every component (min(d, m - 1): lossless for the centred texts), so the curve
        # shows what truncation loses, not PCA's centring. One fit serves every d: the top d components
        # are the first d of the largest fit (signs do not enter the measures).
        top = Reducer("pca", min(full_dim, m - 1), normalize=normalize).fit(vectors)
        reducers = {}
        for d in curve_dims:
            reducers[d] = Reducer("pca", min(d, top.d), normalize=normalize)
            reducers[d].mean_, reducers[d].components_ = top.mean_, top.components_[: min(d, top.d)]
    else:
        reducers = {d: Reducer(reduction if d < full_dim else "first", d, normalize=normalize).fit(vectors)
                    for d in curve_dims}
    clouds = {str(d): r.transform(vectors) for d, r in reducers.items()}
    # the split-half module computes its built-in statistics fast from one pass; others on each half
    statistic = get_estimator(predictor)
    result = paired_bootstrap(clouds, n_resamples=n_resamples, seed=seed, confidence=confidence, statistics=[statistic])
    full_value = _curve_value(predictor, result.interval(str(full_dim), predictor).estimate, full_dim)
    full_halves = _curve_value(predictor, result.replicates[str(full_dim)][predictor], full_dim)
    curve = []
    for d in curve_dims:
        estimate = result.interval(str(d), predictor).estimate
        value = _curve_value(predictor, estimate, d)
        if full_value > 0:
            interval = _split_half_interval(
                value / full_value, _curve_value(predictor, result.replicates[str(d)][predictor], d) / full_halves,
                confidence)
        else:
            interval = _split_half_interval(float("nan"), np.full((2, 2), np.nan), confidence)
        curve.append({"d": d, predictor: float(estimate), "relative": interval.estimate,
                      "low": interval.low, "high": interval.high})
    d_label_free = threshold_dim([c["d"] for c in curve], [c["high"] for c in curve], keep)
    return d_label_free, curve


def _predictions(
    sweep: SweepResult, tasks: list[AbsTask], model: str, prompt: str, keep: float, predictor: str,
    encoder, limit: int, show_progress: bool, chances: dict[str, float] | None = None,
) -> list[Prediction]:
    out = []
    float_rows = [r for r in sweep.rows if r.quantization == "float32"]
    reductions = sorted({r.reduction for r in float_rows if not r.is_full})
    for task in tqdm(tasks, desc="Label-free measure", unit="task", disable=not show_progress):
        name = task.metadata.name
        texts, side = _predictor_texts(task, limit)
        if len(texts) < 8:  # split halves of at least 4
            continue
        task_prompt = task.metadata.prompt.get(side) if isinstance(task.metadata.prompt, dict) else task.metadata.prompt
        vectors = encoder.embed(texts, encoder.prompt_for(name, task.metadata.type, side, task_prompt), show_progress=False)
        vectors = np.unique(vectors, axis=0)
        if len(vectors) < 8:
            continue
        rows = [r for r in float_rows if r.task == name]
        full = next(r for r in rows if r.is_full)
        chance = (chances or {}).get(name, 0.0)
        for reduction in reductions:
            curve_rows = sorted({r.dim: r for r in rows if r.is_full or r.reduction == reduction}.values(), key=lambda r: r.dim)
            relative_score = {r.dim: float(relative_scores([r.score], full.score, chance)[0])
                              for r in curve_rows}
            d_label_free, curve = label_free_curve(vectors, [r.dim for r in curve_rows if not r.is_full], reduction, keep,
                                                   predictor, normalize=encoder.normalizes)
            for point in curve:
                point["relative_score"] = relative_score.get(point["d"])
            out.append(Prediction(
                name, task.metadata.type, prompt, reduction,
                threshold_dim(list(relative_score), list(relative_score.values()), keep), d_label_free, curve,
            ))
    return out


def _correlation(predictions: list[Prediction], predictor: str) -> Correlation:
    kept = [p for p in predictions if p.d_score is not None and p.d_label_free is not None]
    x = [math.log2(p.d_score) for p in kept]
    y = [math.log2(p.d_label_free) for p in kept]
    tasks = [p.task for p in kept]
    r = spearman(x, y) if kept else float("nan")
    # A task's reductions share its texts and its scores: tasks, not pairs, are the independent units.
    n_tasks = len(set(tasks))
    return Correlation(predictor, len(kept), r, bootstrap_interval(x, y, groups=tasks), fisher_interval(r, n_tasks), n_tasks)


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
    relative: str = "plain",
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
    predictor = check_predictor(predictor)
    if relative not in RELATIVE_SCORES:
        raise RecommendError(f"Unknown relative score {relative!r}; choose from {', '.join(RELATIVE_SCORES)}.")
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
    levels = {task.metadata.name: chance_level(task) for task in resolved} if relative == "chance" else {}
    chances = {name: value for name, (value, _) in levels.items()}
    per_task = _config_rows(sweep, chances)
    choices = [_choice(task, "task", rows, keep, full_dim) for task, rows in per_task.items()]
    per_type = _type_rows(per_task)
    choices += [_choice(task_type, "task type", rows, keep, full_dim) for task_type, rows in per_type.items()]
    encoder = get_encoder(str(VariantName(model, prompt)), device=device, cache=embedding_cache,
                          show_progress=show_progress, precision=precision)
    predictions = _predictions(sweep, resolved, model, prompt, keep, predictor, encoder, predictor_texts, show_progress,
                               chances)
    return RecommendResult(
        model=model, prompt=prompt, keep=keep, full_dim=full_dim, predictor=predictor, relative=relative,
        chance_levels={name: {"chance": value, "how": how} for name, (value, how) in levels.items()},
        rows=[r for rows in per_task.values() for r in rows],
        type_rows=[r for rows in per_type.values() for r in rows],
        choices=choices, predictions=predictions, correlation=_correlation(predictions, predictor), sweep=sweep,
        texts_encoded=sweep.texts_encoded + encoder.texts_encoded,
    )
