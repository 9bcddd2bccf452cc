"""``run_study``: one model, one prompt style, the three analyses, one report folder.

Every number comes from an ordinary MTEB result file (under ``<out>/results``, the variants being
experiments of the base model: ``results/<base>/<revision>/experiments/<experiment>/``) and the embedding
cache, so a second run encodes nothing and an interrupted one resumes where it stopped: MTEB skips
results already there, and the cache serves every text already encoded.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mteb_redundancy.analyses.options import DEFAULT_BATCH_SIZE

DEFAULT_SWEEP_TASKS = ("WikiTopicClassification", "WikiTopicClustering", "WikiRetrieval", "STSBenchmarkOffline")
DEFAULT_DIMS = (2, 4, 8, 16, 32, 64, 128, 256, 512, "full")
DEFAULT_REDUCTIONS = ("first", "random")
DEFAULT_REDUNDANCY_TASK = "RedundancyWikiSmall"
DEFAULT_DISPLACEMENT_TASK = "InstructionDisplacementWiki"


class StudyError(ValueError):
    """A study that cannot run as asked; raised before anything is encoded."""


@dataclass
class StudyResult:
    out: Path
    variant: str
    precision: str = "float32"  # what the encoder ran in; the paper's rows stand only beside float32
    redundancy: Any = None  # the Redundancy task's scores
    displacement: Any = None  # the displacement task's scores
    sweep: Any = None  # a SweepResult
    robustness: Any = None  # a RobustnessResult
    texts_encoded: int = 0
    files: list[Path] = field(default_factory=list)


def _task(name_or_task, kind: str):
    import mteb

    if not isinstance(name_or_task, str):
        return name_or_task
    try:
        return mteb.get_task(name_or_task)
    except KeyError:
        names = [t.metadata.name for t in mteb.get_tasks()]
        close = difflib.get_close_matches(name_or_task, names, n=3)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        raise StudyError(f"Unknown {kind} task {name_or_task!r}.{hint}") from None


def check_study(model: str, prompt: str, out: Path, tasks: Sequence, redundancy_task, displacement_task):
    """Every check that can fail, before any encoding: the model and its prompt style, the task names
    and types, and the output folder."""
    from mteb_redundancy.analyses.displacement.task_type import (
        AbsTaskInstructionDisplacement,
    )
    from mteb_redundancy.analyses.redundancy.task_type import AbsTaskRedundancy
    from mteb_redundancy.plugins import get_registry

    registry = get_registry()
    if " (" in model:
        raise StudyError(f"{model!r} is a variant name; give the base model id ({model.split(' (')[0]!r}) and --prompt.")
    spec = registry.models.get(model)
    if spec is None:
        close = difflib.get_close_matches(model, list(registry.models), n=3)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        raise StudyError(f"No plugin registered the model {model!r}.{hint}")
    if prompt not in spec.prompt_styles:
        raise StudyError(f"{model} has no prompt style {prompt!r}; its styles: {', '.join(spec.prompt_styles)}.")
    from mteb_redundancy._io import check_output_folder

    try:
        check_output_folder(out)
    except ValueError as error:
        raise StudyError(str(error)) from None
    sweep_tasks = [_task(t, "sweep") for t in tasks]
    if sweep_tasks:
        from mteb_redundancy.analyses.recommend.engine import RecommendError, check_tasks

        try:  # recommend's check: a sweep scores a higher-is-better main score, not a measurement
            check_tasks(sweep_tasks, ["float32"])
        except RecommendError as error:
            raise StudyError(f"{error} Give it as --redundancy-task or --displacement-task instead.") from None
    redundancy = _task(redundancy_task, "redundancy") if redundancy_task is not None else None
    if redundancy is not None and not isinstance(redundancy, AbsTaskRedundancy):
        raise StudyError(f"{redundancy.metadata.name} is a {redundancy.metadata.type} task, not a Redundancy task.")
    displacement = _task(displacement_task, "displacement") if displacement_task is not None else None
    if displacement is not None and not isinstance(displacement, AbsTaskInstructionDisplacement):
        raise StudyError(f"{displacement.metadata.name} is a {displacement.metadata.type} task, not an InstructionDisplacement task.")
    return spec, sweep_tasks, redundancy, displacement


def _evaluate(encoder, task, cache, batch_size: int) -> dict:
    """The task's scores for the encoder: from its result file (in the variant's experiment folder)
    where one is complete, readable and of the task's dataset revision, else from MTEB."""
    from mteb_redundancy.mteb_bridge.evaluation import evaluate_task
    from mteb_redundancy.mteb_bridge.results_layout import load_task_result

    existing, _ = load_task_result(cache, task.metadata.name, encoder.mteb_model_meta, task=task)
    if existing is not None and not existing.get_missing_evaluations(task):
        return next(iter(existing.scores.values()))[0]
    outcome = evaluate_task(encoder, task, cache, co2_tracker=False, encode_kwargs={"batch_size": batch_size})
    if outcome.exceptions:
        raise RuntimeError(f"{task.metadata.name} failed: {outcome.exceptions[0].exception}")
    split_scores = next(iter(outcome.task_results[0].scores.values()))
    return split_scores[0]


def run_study(
    model: str,
    prompt: str,
    out: str | Path,
    *,
    tasks: Sequence = DEFAULT_SWEEP_TASKS,
    dims: Sequence = DEFAULT_DIMS,
    reductions: Sequence[str] = DEFAULT_REDUCTIONS,
    redundancy_task=DEFAULT_REDUNDANCY_TASK,
    displacement_task=DEFAULT_DISPLACEMENT_TASK,
    device: str | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    precision: str | None = None,
    embedding_cache=None,
    show_progress: bool = True,
    robustness=None,
) -> StudyResult:
    """Run the study and write ``<out>/report.md`` with its figures (PNG and SVG) and tables (CSV).

    ``tasks`` are the sweep's tasks (names or task objects); ``redundancy_task`` and
    ``displacement_task`` may be ``None`` to leave that analysis out. ``robustness``: ``True`` or a dict
    of ``run_robustness`` options adds that section (its report folder: ``<out>/robustness``).
    """
    import mteb

    from mteb_redundancy.analyses.study.report import write_report
    from mteb_redundancy.analyses.sweep.engine import parse_dims, run_sweep
    from mteb_redundancy.models.names import VariantName
    from mteb_redundancy.models.variants import get_encoder

    out = Path(out)
    _, sweep_tasks, redundancy, displacement = check_study(model, prompt, out, tasks, redundancy_task, displacement_task)
    if tuple(dims) == DEFAULT_DIMS:  # the default grid, cut at the model's own dimension
        full = mteb.get_model_meta(str(VariantName(model, prompt))).embed_dim
        dims = [d for d in dims if d == "full" or full is None or d < full]
    parse_dims(dims)  # a bad dimension fails here, before any encoding
    if isinstance(robustness, bool):
        robustness = {} if robustness else None
    if robustness is not None:
        from mteb_redundancy.analyses.robustness.engine import check_robustness, run_robustness

        check_robustness(model, prompt, out / "robustness", **{k: v for k, v in robustness.items() if k in ("corpora", "sizes", "estimators")})
    out.mkdir(parents=True, exist_ok=True)
    cache = mteb.ResultCache(out)
    variant = str(VariantName(model, prompt))
    encoder = get_encoder(variant, device=device, cache=embedding_cache, show_progress=show_progress, precision=precision)
    result = StudyResult(out=out, variant=variant, precision=encoder.precision)
    if redundancy is not None:
        result.redundancy = _evaluate(encoder, redundancy, cache, batch_size)
    if displacement is not None:
        result.displacement = _evaluate(encoder, displacement, cache, batch_size)
    if sweep_tasks:
        result.sweep = run_sweep(
            model, prompt, dims, reductions, sweep_tasks, out,
            device=device, batch_size=batch_size, embedding_cache=embedding_cache, show_progress=show_progress, precision=precision,
        )
    if robustness is not None:  # the same encoder: its texts are counted with the encoder's
        result.robustness = run_robustness(model, prompt, out / "robustness", encoder=encoder, show_progress=show_progress, **robustness)
    result.texts_encoded = encoder.texts_encoded + (result.sweep.texts_encoded if result.sweep else 0)
    result.files = write_report(result, redundancy_task=redundancy, displacement_task=displacement)
    return result
