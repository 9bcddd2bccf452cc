"""Dimension sweeps on downstream tasks: encode once at full dimension, score every d
(Tsukagoshi & Sasano 2025, section 2).

For each (model, prompt style) one ``PromptedEncoder`` at full dimension does the encoding. Every
(reduction, d) variant is then evaluated by MTEB itself (``mteb.evaluate``, MTEB's own evaluators and
result files) through a ``SweepEncoder``: a view of that encoder with the variant's name, ``ModelMeta``
and reducer, which takes its full vectors from an in-memory memo of the task's encodings. So the
model sees each text of a task once for the whole sweep, and the only per-d work is reduction,
quantization (float32, int8, binary: ``models.quantization``) and scoring. Results are written where ``mteb run -m "<variant>"`` writes them: each variant is an
MTEB experiment of its base model (``<output>/results/<base>/<revision>/experiments/<experiment>/``),
and a sweep that stopped half-way continues from the result files it finds there.
"""

from __future__ import annotations

import csv
import difflib
import io
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import mteb  # first: importing mteb registers the plugins' models and tasks
import numpy as np
from mteb.abstasks.abstask import AbsTask
from tqdm.auto import tqdm

from mteb_redundancy._io import atomic_write_text, markdown_table
from mteb_redundancy.models.cache import texts_sha256
from mteb_redundancy.models.encoder import PromptedEncoder
from mteb_redundancy.models.names import VariantName, looks_like_variant
from mteb_redundancy.models.quantization import QUANTIZATIONS, QuantizationError, bytes_per_vector, check_applies
from mteb_redundancy.models.reduction import REDUCTIONS, check_dimension
from mteb_redundancy.models.styles import Prompt
from mteb_redundancy.models.variants import VariantEncoder, experiment_meta, get_encoder
from mteb_redundancy.mteb_bridge.evaluation import MetricWarnings, evaluate_task, fresh_task
from mteb_redundancy.mteb_bridge.results_layout import load_task_result
from mteb_redundancy.plugins import get_registry

logger = logging.getLogger(__name__)

FULL = "full"
DEFAULT_BATCH_SIZE = 32


class SweepError(ValueError):
    """A sweep that cannot run as asked; raised before anything is encoded."""


# ----------------------------------------------------------------------------------------------
# Encoding once


class FullVectorMemo:
    """Full-dimension vectors of one task, per (prompt, list of texts), for the length of a sweep
    over that task. Counts requests that had to go to the encoder (and its disk cache) and reuses."""

    def __init__(self) -> None:
        self._vectors: dict[tuple[str, str], np.ndarray] = {}
        self.requests = 0
        self.reuses = 0

    def full_vectors(self, encoder: PromptedEncoder, texts: list[str], prompt: Prompt, batch_size: int | None) -> np.ndarray:
        key = (prompt.key, texts_sha256(texts))
        vectors = self._vectors.get(key)
        if vectors is None:
            self.requests += 1
            vectors = encoder.embed(texts, prompt, batch_size=batch_size)
            self._vectors[key] = vectors
        else:
            self.reuses += 1
        return vectors

    def clear(self) -> None:
        self._vectors.clear()


class SweepEncoder(VariantEncoder):
    """One variant of a sweep: the full-dimension encoder's model, backend, prompts and cache, with
    the variant's name, ``ModelMeta`` (its experiment, in the full encoder's precision) and reducer.
    Reduction is ``PromptedEncoder.reduce`` itself, so a variant scores here exactly as it does when
    MTEB loads it by name."""

    def __init__(self, full: PromptedEncoder, variant: VariantName, meta, memo: FullVectorMemo):
        super().__init__(
            full.spec,
            variant,
            location=full.location,
            revision=full.revision,
            cache=full.cache or False,
            mteb_model_meta=meta,
            show_progress=full.show_progress,
            backend=full.backend,
        )
        self._full = full
        self._memo = memo

    def embed(self, texts, prompt, *, batch_size=None, show_progress=None) -> np.ndarray:
        return self._memo.full_vectors(self._full, list(texts), prompt, batch_size)

    def reduce(self, vectors: np.ndarray, task_name: str = "", hf_subset: str = "default", task_type: str | None = None) -> np.ndarray:
        reduced = super().reduce(vectors, task_name, hf_subset, task_type)
        # At full dimension the memo's own array would go to MTEB; give it a copy to keep.
        return reduced.copy() if reduced is vectors else reduced


# ----------------------------------------------------------------------------------------------
# What a sweep returns


@dataclass(frozen=True)
class SweepPoint:
    """One (model, prompt, reduction, d) of the sweep. At full dimension every reduction is the same
    variant (the model's own vectors); it is evaluated once and shared by each reduction's curve."""

    model: str
    prompt: str
    reduction: str
    dim: int | None  # None: full dimension
    full_dim: int
    quantization: str = "float32"

    @property
    def variant(self) -> VariantName:
        reduction = self.reduction if self.dim is not None else "first"
        return VariantName(self.model, self.prompt, self.dim, reduction, None, self.quantization)

    @property
    def plotted_dim(self) -> int:
        return self.dim if self.dim is not None else self.full_dim


@dataclass
class SweepRow:
    model: str
    prompt: str
    reduction: str
    dim: int
    full_dim: int
    is_full: bool
    task: str
    task_type: str
    metric: str
    score: float
    variant: str
    status: str  # "computed" in this run, or "existing" (read back from a result file)
    result_file: str
    quantization: str = "float32"
    bytes_per_vector: int | None = None  # None: computed from dim and quantization

    def __post_init__(self) -> None:
        if self.bytes_per_vector is None:
            self.bytes_per_vector = bytes_per_vector(self.dim, self.quantization)

    @property
    def line(self) -> str:
        """The curve a row belongs to besides its model and prompt: its reduction, and its quantization
        where that is not float32 (``first``, ``pca+int8``)."""
        return self.reduction if self.quantization == "float32" else f"{self.reduction}+{self.quantization}"


@dataclass
class EncodingCount:
    """How often one (model, prompt, task) reached the encoder over the whole sweep."""

    model: str
    prompt: str
    task: str
    requests: int  # MTEB encode requests served by the encoder (its disk cache or the model)
    reuses: int  # requests served from the sweep's memo
    texts_encoded: int  # texts that reached the model


CSV_FIELDS = [f.name for f in SweepRow.__dataclass_fields__.values()]


@dataclass
class SweepResult:
    """A table of scores, one row per (model, prompt, reduction, d, task), plus how much encoding it
    took. The full-dimension score has a row under each reduction (``is_full``), as it starts each
    reduction's curve; it was evaluated once."""

    rows: list[SweepRow]
    encodings: list[EncodingCount] = field(default_factory=list)
    output_folder: Path | None = None

    def score(
        self, task: str, model: str, prompt: str = "none", reduction: str = "first", dim: int | None = None,
        quantization: str = "float32",
    ) -> float:
        """The score of one variant on one task; ``dim=None`` is the full dimension."""
        for row in self.rows:
            if (row.task, row.model, row.prompt, row.quantization) != (task, model, prompt, quantization):
                continue
            if (dim is None and row.is_full) or (dim is not None and row.dim == dim and (row.is_full or row.reduction == reduction)):
                return row.score
        raise KeyError(f"No score for {task} / {model} / prompt={prompt} / {reduction} / d={dim or FULL} / {quantization}.")

    @property
    def texts_encoded(self) -> int:
        return sum(count.texts_encoded for count in self.encodings)

    def curves(self) -> dict[str, dict[tuple[str, str, str], list[tuple[int, float]]]]:
        """Mean score per task type against d: ``{task_type: {(model, prompt, line): [(d, mean), ...]}}``,
        ``line`` being the reduction (with ``+int8`` or ``+binary`` when quantized: ``SweepRow.line``).
        The full-dimension score belongs to every reduction's curve; a d enters a curve only when each
        of the curve's tasks of that type has a score there, so that every point averages the same tasks."""
        curves: dict[str, dict[tuple[str, str, str], list[tuple[int, float]]]] = {}
        for task_type in sorted({row.task_type for row in self.rows}):
            per_line: dict[tuple[str, str, str], list[tuple[int, float]]] = {}
            for line in sorted({(r.model, r.prompt, r.line) for r in self.rows if r.task_type == task_type}):
                by_dim: dict[int, dict[str, float]] = {}
                for row in self.rows:
                    if row.task_type == task_type and (row.model, row.prompt, row.line) == line:
                        by_dim.setdefault(row.dim, {})[row.task] = row.score
                tasks = set().union(*by_dim.values())
                points = [
                    (dim, float(np.mean(list(scores.values()))))
                    for dim, scores in sorted(by_dim.items())
                    if set(scores) == tasks
                ]
                if points:
                    per_line[line] = points
            curves[task_type] = per_line
        return curves

    def to_csv(self, path: str | Path | None = None) -> str:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS, lineterminator="\n")
        writer.writeheader()
        for row in self.rows:
            writer.writerow(asdict(row))
        text = buffer.getvalue()
        if path is not None:
            atomic_write_text(path, text)
        return text

    def to_markdown(self) -> str:
        """Per task type and (where a type has more than one task) per task, a table of scores (x100)
        with one row per curve and one column per d."""
        dims = sorted({row.dim for row in self.rows})
        full_dims = {row.dim for row in self.rows if row.is_full}
        header_dims = [f"{d} (full)" if d in full_dims else str(d) for d in dims]

        def table(title: str, curves: dict[tuple[str, str, str], list[tuple[int, float]]]) -> list[str]:
            body = []
            for (model, prompt, reduction), points in curves.items():
                values = dict(points)
                body.append([model, prompt, reduction, *(f"{100 * values[d]:.2f}" if d in values else "" for d in dims)])
            header = ["model", "prompt", "reduction", *header_dims]
            return [f"### {title}", "", markdown_table(header, body, align=["left"] * 3 + ["right"] * len(dims)), ""]

        out = ["## Mean score per task type (x100)", ""]
        metrics = _metrics_by_type(self.rows)
        for task_type, curves in self.curves().items():
            out += table(f"{task_type} ({metrics[task_type]})", curves)
        tasks_of_type: dict[str, set[str]] = {}
        for row in self.rows:
            tasks_of_type.setdefault(row.task_type, set()).add(row.task)
        if all(len(tasks) == 1 for tasks in tasks_of_type.values()):
            # a table per task would repeat its type's table
            named = ", ".join(f"{task_type}: {next(iter(tasks))}" for task_type, tasks in tasks_of_type.items())
            return "\n".join([*out, f"One task per task type ({named}): each type's mean is that task's score.", ""])
        out += ["## Score per task (x100)", ""]
        for task in sorted({row.task for row in self.rows}):
            single = SweepResult([row for row in self.rows if row.task == task])
            metric = next(row.metric for row in self.rows if row.task == task)
            out += table(f"{task} ({metric})", next(iter(single.curves().values())))
        return "\n".join(out)


def _metrics_by_type(rows: Iterable[SweepRow]) -> dict[str, str]:
    metrics: dict[str, set[str]] = {}
    for row in rows:
        metrics.setdefault(row.task_type, set()).add(row.metric)
    return {task_type: ", ".join(sorted(names)) for task_type, names in metrics.items()}


# ----------------------------------------------------------------------------------------------
# Checking the request before any encoding


def parse_dims(values: Iterable[int | str | None]) -> list[int | None]:
    """Whole numbers, and ``"full"`` (or ``None``) for the model's own dimension; sorted, unique."""
    dims: set[int] = set()
    full = False
    for value in values:
        if value is None or (isinstance(value, str) and value.strip().lower() == FULL):
            full = True
            continue
        if isinstance(value, str):
            if not value.strip().isdigit():
                raise SweepError(f"Dimensions are whole numbers or 'full', got {value!r}.")
            value = int(value)
        try:
            dims.add(check_dimension(value, None))
        except (TypeError, ValueError) as error:
            raise SweepError(str(error)) from None
    if not dims and not full:
        raise SweepError("No dimensions to sweep; give e.g. dims=[2, 4, 8, 'full'].")
    return sorted(dims) + ([None] if full else [])


def _unknown(kind: str, name: str, known: Iterable[str]) -> SweepError:
    close = difflib.get_close_matches(name, list(known), n=3, cutoff=0.5)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    return SweepError(f"Unknown {kind} {name!r}.{hint}")


def _check_choices(kind: str, values: Sequence[str], allowed: Sequence[str]) -> list[str]:
    if not values:
        raise SweepError(f"Give at least one {kind}; choose from {', '.join(allowed)}.")
    for value in values:
        if value not in allowed:
            raise SweepError(f"{_unknown(kind, value, allowed)} Choose from {', '.join(allowed)}.")
    return list(dict.fromkeys(values))


def _resolve_tasks(tasks: Sequence[str | AbsTask]) -> list[AbsTask]:
    if isinstance(tasks, (str, AbsTask)):
        tasks = [tasks]
    tasks = list(dict.fromkeys(tasks))  # a name given twice is run once
    if not tasks:
        raise SweepError("Give at least one task.")
    names = [t for t in tasks if isinstance(t, str)]
    found: dict[str, AbsTask] = {}
    if names:
        try:
            found = {t.metadata.name: t for t in mteb.get_tasks(tasks=names)}
        except KeyError as error:
            raise SweepError(str(error.args[0]) if error.args else str(error)) from None
    resolved = [found[t] if isinstance(t, str) else t for t in tasks]
    seen = [t.metadata.name for t in resolved]
    duplicates = sorted({n for n in seen if seen.count(n) > 1})
    if duplicates:
        raise SweepError(f"Two different tasks have the name {', '.join(duplicates)}; give each task once.")
    return resolved


def plan_points(
    models: Sequence[str],
    prompts: Sequence[str],
    dims: Sequence[int | str | None],
    reductions: Sequence[str],
    *,
    dimension_of: Callable[[str, str], int] | None = None,
    quantizations: Sequence[str] = ("float32",),
) -> list[SweepPoint]:
    """Every (model, prompt, reduction, d) to evaluate, checked against the registered models.
    A d equal to the model's dimension is its full dimension; a larger d is an error.
    ``dimension_of(model, prompt)`` gives the dimension of a model that registered none (by loading
    it; nothing is encoded)."""
    registry = get_registry()
    prompts = _check_choices("prompt style", prompts, registry.styles)  # a plugin's styles too
    reductions = _check_choices("reduction", reductions, REDUCTIONS)
    quantizations = _check_choices("quantization", [str(q).lower() for q in quantizations], QUANTIZATIONS)
    wanted = parse_dims(dims)
    if not models:
        raise SweepError("Give at least one model (-m).")
    points: list[SweepPoint] = []
    for model in dict.fromkeys(models):
        if looks_like_variant(model):
            raise SweepError(
                f"{model!r} is a variant name; give the base model id ({model.split(' (')[0]!r}) and choose "
                f"prompt styles, dims and reductions with the sweep's own options."
            )
        spec = registry.models.get(model)
        if spec is None:
            raise SweepError(
                f"{_unknown('model', model, registry.models)} Register it with `mteb-redundancy add-model {model}`."
            )
        for prompt in prompts:
            if prompt not in spec.prompt_styles:
                raise SweepError(
                    f"{model} has no prompt style {prompt!r}; its registered styles: {', '.join(spec.prompt_styles)}."
                )
        # The full-dimension variant's ModelMeta carries the model's dimension where it is known.
        full_dim = mteb.get_model_meta(str(VariantName(model, prompts[0]))).embed_dim
        if full_dim is None and dimension_of is not None:
            full_dim = int(dimension_of(model, prompts[0]))
        if full_dim is None:
            raise SweepError(f"{model}'s embedding dimension is unknown; set ModelSpec.embed_dim.")
        for d in wanted:
            if d is not None:
                try:
                    check_dimension(d, full_dim, model)
                except ValueError as error:
                    raise SweepError(str(error)) from None
        reduced = [d for d in wanted if d is not None and d != full_dim]
        has_full = None in wanted or full_dim in wanted
        for prompt in prompts:
            for q in quantizations:
                if has_full:
                    points.append(SweepPoint(model, prompt, reductions[0], None, full_dim, q))
                points += [SweepPoint(model, prompt, r, d, full_dim, q) for r in reductions for d in reduced]
    return points


# ----------------------------------------------------------------------------------------------
# Running


def _row(point: SweepPoint, task: AbsTask, task_result, status: str, path: Path, reduction: str | None = None) -> SweepRow:
    return SweepRow(
        model=point.model,
        prompt=point.prompt,
        reduction=reduction or point.reduction,
        dim=point.plotted_dim,
        full_dim=point.full_dim,
        is_full=point.dim is None,
        task=task.metadata.name,
        task_type=task.metadata.type,
        metric=task.metadata.main_score,
        score=float(task_result.get_score()),
        variant=str(point.variant),
        status=status,
        result_file=str(path),
        quantization=point.quantization,
    )


def _check_quantizations(quantizations: Sequence[str], tasks: Sequence[AbsTask]) -> None:
    """Each quantization applies to each task's type; checked before anything is encoded."""
    for quantization in quantizations:
        for task in tasks:
            try:
                check_applies(quantization, task.metadata.type, task.metadata.name)
            except QuantizationError as error:
                raise SweepError(str(error)) from None


class _FullEncoders:
    """The full-dimension encoder of each (model, prompt), built on first use (no weights loaded)."""

    def __init__(self, **options: Any) -> None:
        self.options = options
        self.built: dict[tuple[str, str], PromptedEncoder] = {}

    def __call__(self, model: str, prompt: str) -> PromptedEncoder:
        key = (model, prompt)
        if key not in self.built:
            self.built[key] = get_encoder(str(VariantName(model, prompt)), **self.options)
        return self.built[key]


@dataclass
class _SweepRun:
    """What every task of one sweep shares: the points, grouped by (model, prompt), their
    ``ModelMeta``s, the full-dimension encoders, MTEB's result cache and the progress bar."""

    points: list[SweepPoint]
    metas: dict[SweepPoint, Any]
    full_encoder: _FullEncoders
    cache: Any
    metric_warnings: MetricWarnings
    batch_size: int
    progress: Any
    groups: dict[tuple[str, str], list[SweepPoint]] = field(init=False)

    def __post_init__(self) -> None:
        self.groups = {}
        for point in self.points:
            self.groups.setdefault((point.model, point.prompt), []).append(point)

    def task(self, task: AbsTask) -> tuple[list[SweepRow], list[EncodingCount]]:
        """Every point's rows on ``task`` (from its result file where complete) and each group's
        encoding count; the task's data is loaded only when something is computed."""
        done: dict[SweepPoint, Any] = {}
        paths: dict[SweepPoint, Path] = {}
        for point in self.points:
            existing, paths[point] = load_task_result(self.cache, task.metadata.name, self.metas[point], task=task)
            if existing is not None and not existing.get_missing_evaluations(task):
                done[point] = existing
        loaded_here = False
        if len(done) < len(self.points) and not task.data_loaded:
            task.load_data()
            loaded_here = True
        rows: list[SweepRow] = []
        counts: list[EncodingCount] = []
        for (model, prompt), group in self.groups.items():
            group_rows, count = self._group(task, model, prompt, group, done, paths)
            rows += group_rows
            counts.append(count)
        self.metric_warnings.report(task.metadata.name)
        if loaded_here:
            task.unload_data()
        return rows, counts

    def _group(
        self, task: AbsTask, model: str, prompt: str, group: list[SweepPoint], done: dict[SweepPoint, Any],
        paths: dict[SweepPoint, Path],
    ) -> tuple[list[SweepRow], EncodingCount]:
        """The rows of one (model, prompt) on ``task``, all its variants served by one memo of full
        vectors, and how often that memo reached the encoder."""
        name = task.metadata.name
        memo = FullVectorMemo()
        encoder = None
        encoded_before = 0
        rows: list[SweepRow] = []
        for point in group:
            where = f"{point.reduction} d={point.dim}" if point.dim is not None else f"d={FULL}"
            self.progress.set_description(f"{name} | {model.split('/')[-1]} prompt={prompt} | {where}")
            if point in done:
                task_result, status = done[point], "existing"
            else:
                if encoder is None:
                    encoder = self.full_encoder(model, prompt)
                    encoded_before = encoder.texts_encoded
                view = SweepEncoder(encoder, point.variant, self.metas[point], memo)
                task_result, status = self._evaluate(view, task, point), "computed"
            rows += _point_rows(point, group, task, task_result, status, paths[point])
            self.progress.update(1)
        count = EncodingCount(
            model, prompt, name, memo.requests, memo.reuses,
            (encoder.texts_encoded - encoded_before) if encoder is not None else 0,
        )
        memo.clear()
        return rows, count

    def _evaluate(self, view: SweepEncoder, task: AbsTask, point: SweepPoint):
        """MTEB's evaluation of one variant (written to its result file), or the error it raised."""
        outcome = evaluate_task(
            view,
            fresh_task(task),
            self.cache,
            metric_warnings=self.metric_warnings,
            configuration=str(point.variant),
            encode_kwargs={"batch_size": self.batch_size},
            show_progress_bar=False,
            co2_tracker=False,
        )
        if outcome.exceptions:
            raise RuntimeError(f"{point.variant} on {task.metadata.name} failed: {outcome.exceptions[0].exception}")
        return outcome.task_results[0]


def _point_rows(
    point: SweepPoint, group: list[SweepPoint], task: AbsTask, task_result, status: str, path: Path
) -> list[SweepRow]:
    """One row per point; the full-dimension score once per reduction, since it starts every
    reduction's curve."""
    if point.dim is None:
        reductions_here = sorted(
            {p.reduction for p in group if p.dim is not None and p.quantization == point.quantization}
        ) or [point.reduction]
        return [_row(point, task, task_result, status, path, r) for r in reductions_here]
    return [_row(point, task, task_result, status, path)]


def run_sweep(
    models: str | Sequence[str],
    prompts: str | Sequence[str] = ("none",),
    dims: Sequence[int | str | None] = (2, 4, 8, 16, 32, 64, 128, FULL),
    reductions: str | Sequence[str] = ("first",),
    tasks: Sequence[str | AbsTask] = ("WikiTopicClassification",),
    output_folder: str | Path = "results",
    *,
    device: str | None = None,
    embedding_cache=None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    show_progress: bool = True,
    precision: str | None = None,
    quantizations: str | Sequence[str] = ("float32",),
) -> SweepResult:
    """Evaluate every (model, prompt, reduction, d) variant on every task from one full-dimension
    encoding per (model, prompt, task).

    Parameters
    ----------
    models:
        Registered base model ids.
    prompts:
        Prompt styles, each registered for every model.
    dims:
        Dimensions; ``"full"`` (or ``None``) is the model's own. A d above a model's dimension is an
        error, raised before anything is encoded.
    reductions:
        ``first``, ``random`` (fixed seed) and/or ``pca``.
    quantizations:
        ``float32``, ``int8`` and/or ``binary`` (``models.quantization``), each with every reduction
        and d; a quantization that does not apply to a task's type is an error before encoding.
    tasks:
        MTEB task names or task objects (e.g. MTEB's mock tasks).
    output_folder:
        As ``mteb run --output-folder``: results go to the base model's folder,
        ``<output_folder>/results/<base>/<revision>/experiments/<experiment>/``. Results already there
        are kept and reported, not recomputed.
    embedding_cache:
        An ``EmbeddingCache`` (default: the usual location), or ``False`` for none.
    precision:
        ``float32``, ``bfloat16`` or ``auto`` (see ``mteb_redundancy.models.precision``).
    """
    models = [models] if isinstance(models, str) else list(models)
    prompts = [prompts] if isinstance(prompts, str) else list(prompts)
    reductions = [reductions] if isinstance(reductions, str) else list(reductions)
    quantizations = [quantizations] if isinstance(quantizations, str) else list(quantizations)
    tasks = _resolve_tasks(tasks)
    _check_quantizations(quantizations, tasks)
    full_encoder = _FullEncoders(device=device, cache=embedding_cache, show_progress=show_progress, precision=precision)
    points = plan_points(
        models, prompts, dims, reductions, dimension_of=lambda m, p: full_encoder(m, p).backend.embed_dim,
        quantizations=quantizations,
    )
    # Each variant's ModelMeta as its results will have it: an experiment of the base model, in the
    # precision its encoder runs in (the encoders are built now; no weights are loaded).
    metas = {
        point: experiment_meta(
            mteb.get_model_meta(str(point.variant)), point.variant, full_encoder(point.model, point.prompt).precision
        )
        for point in points
    }
    cache = mteb.ResultCache(output_folder)
    metric_warnings = MetricWarnings(log=Path(output_folder) / "warnings.log")

    rows: list[SweepRow] = []
    counts: list[EncodingCount] = []
    progress = tqdm(total=len(tasks) * len(points), desc="Sweep", unit="variant", disable=not show_progress)
    run = _SweepRun(points, metas, full_encoder, cache, metric_warnings, batch_size, progress)
    try:
        for task in tasks:
            task_rows, task_counts = run.task(task)
            rows += task_rows
            counts += task_counts
    finally:
        progress.close()
    return SweepResult(rows=rows, encodings=counts, output_folder=Path(output_folder))
