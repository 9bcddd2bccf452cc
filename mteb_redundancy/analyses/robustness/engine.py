"""``run_robustness``: every estimator, every corpus, every size, for one model and prompt style.

For each corpus the texts are embedded once per distinct prompt, through the embedding cache (a
second run encodes nothing); the size curves and verdicts are computed from those arrays
(``curves``, ``verdicts``). Every check that can fail runs first, before the model is loaded.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mteb_redundancy.analyses.robustness.curves import SUBSAMPLE_SEED, SizeCurve, nested_subsamples, size_curve
from mteb_redundancy.analyses.robustness.verdicts import CLAIMS, COVERS, Verdict, claim_verdicts
from mteb_redundancy.plugins import get_estimator, registered_estimators

DEFAULT_SIZES = (250, 500, 1000, 2000, 5000, 10000)
ALL = "all"  # a size meaning every distinct text of the corpus


class RobustnessError(ValueError):
    """A robustness run that cannot go as asked; raised before anything is encoded."""


# paired_bootstrap splits m texts into two halves of floor(m / 2) and needs 4 per half
SPLIT_HALF_MINIMUM = 8


def minimum_texts(name: str) -> int:
    """The fewest distinct texts an interval of the estimator ``name`` can be computed from: each split
    half must hold more points than the neighbours the estimator asks of each point."""
    return max(SPLIT_HALF_MINIMUM, 2 * (get_estimator(name).n_neighbors + 1))


def corpus_names() -> list[str]:
    """Every registered Redundancy task."""
    import mteb

    from mteb_redundancy.analyses.redundancy.task_type import TASK_TYPE

    return [task.metadata.name for task in mteb.get_tasks(task_types=[TASK_TYPE])]


def default_corpora() -> list[str]:
    """The corpora a run uses unless told otherwise: the quick (``...Small``) Redundancy tasks."""
    return [name for name in corpus_names() if name.endswith("Small")]


def corpus_texts(task) -> tuple[list[str], int]:
    """A Redundancy task's texts as its measurement takes them: checked, distinct, non-empty, in
    first-seen order; and how many were dropped."""
    from mteb_redundancy.analyses.redundancy.measure import deduplicate_texts

    return deduplicate_texts(task.check_texts(list(task.load_texts())))


@dataclass
class CorpusPlan:
    task: Any
    texts: list[str]
    n_duplicates_dropped: int
    sizes: list[int]

    @property
    def name(self) -> str:
        return self.task.metadata.name


@dataclass
class RobustnessPlan:
    model: str
    prompt: str
    variant: str
    out: Path
    estimators: tuple[str, ...]
    corpora: list[CorpusPlan]


@dataclass
class RobustnessResult:
    out: Path
    variant: str
    estimators: tuple[str, ...]
    curves: list[SizeCurve]
    verdicts: list[Verdict]
    settings: dict[str, Any]
    texts_encoded: int = 0
    files: list[Path] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "variant": self.variant,
            **self.settings,
            "estimators": [{"name": e, "label": get_estimator(e).label} for e in self.estimators],
            "claims": [{"name": c.name, "prompt_type": c.prompt_type, "reference": c.reference, "direction": c.direction} for c in CLAIMS],
            "intervals_cover": COVERS,
            "corpora": [curve.to_dict() for curve in self.curves],
            "verdicts": [v.to_dict() for v in self.verdicts],
            "texts_encoded": self.texts_encoded,
        }


def _unknown(kind: str, name: str, known: Sequence[str]) -> RobustnessError:
    close = difflib.get_close_matches(str(name), list(known), n=3, cutoff=0.5)
    hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
    return RobustnessError(f"Unknown {kind} {name!r}.{hint} Available: {', '.join(known)}.")


def parse_sizes(values: Sequence) -> list[int | str]:
    """Whole numbers of texts, or ``"all"`` (every distinct text of each corpus)."""
    sizes: list[int | str] = []
    for value in values:
        if isinstance(value, str) and value.strip().lower() == ALL:
            sizes.append(ALL)
            continue
        text = str(value).strip()
        if isinstance(value, bool) or not text.isdigit() or int(text) < 1:
            raise RobustnessError(f"Sizes are whole numbers of texts (or 'all'), got {value!r}.")
        sizes.append(int(text))
    if not sizes:
        raise RobustnessError("Give at least one size (a number of texts, or 'all').")
    return sizes


def _corpus_sizes(name: str, n: int, sizes: Sequence | None, estimators: Sequence[str]) -> list[int]:
    need = {e: minimum_texts(e) for e in estimators}
    short = [e for e in estimators if n < need[e]]
    if short:
        raise RobustnessError(
            f"{name} has {n} distinct texts; {', '.join(f'{get_estimator(e).label} needs at least {need[e]}' for e in short)} "
            "(each split half must hold enough points). Use a larger corpus or leave that estimator out."
        )
    if sizes is None:
        return [m for m in DEFAULT_SIZES if m < n] + [n]
    chosen = sorted({n if m == ALL else m for m in sizes})
    too_large = [m for m in chosen if m > n]
    if too_large:
        raise RobustnessError(
            f"m = {too_large[0]} is larger than {name}, which has {n} distinct texts; give sizes up to {n} (or 'all')."
        )
    floor = max(need.values())
    too_small = [m for m in chosen if m < floor]
    if too_small:
        raise RobustnessError(
            f"m = {too_small[0]} is too few texts for the split-half intervals of "
            f"{', '.join(get_estimator(e).label for e in estimators if need[e] > too_small[0])} (at least {floor})."
        )
    return chosen


def check_robustness(
    model: str,
    prompt: str,
    out: str | Path,
    *,
    corpora: Sequence | None = None,
    sizes: Sequence | None = None,
    estimators: Sequence[str] | None = None,
) -> RobustnessPlan:
    """Every check that can fail, before any encoding: the estimator names, the model and its prompt
    style, the output folder, the corpora (names, type, distinct texts) and the sizes against each
    corpus. ``corpora`` are Redundancy task names or task objects."""
    import mteb

    from mteb_redundancy.analyses.redundancy.task_type import AbsTaskRedundancy
    from mteb_redundancy.models.names import VariantName
    from mteb_redundancy.models.variants import UnknownModelError, canonical_name

    known = tuple(estimator.name for estimator in registered_estimators())
    estimators = tuple(dict.fromkeys(estimators)) if estimators else known
    for name in estimators:
        if name not in known:
            raise _unknown("estimator", name, known)
    if " (" in model:
        raise RobustnessError(f"{model!r} is a variant name; give the base model id ({model.split(' (')[0]!r}) and --prompt.")
    try:
        variant = canonical_name(str(VariantName(model, prompt)))
    except UnknownModelError as error:
        raise RobustnessError(str(error)) from None
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise RobustnessError(f"The output folder {out} is a file; give a folder (it is created if missing).")
    sizes = parse_sizes(sizes) if sizes is not None else None

    available = corpus_names()
    tasks: dict[str, Any] = {}
    for corpus in default_corpora() if corpora is None else corpora:
        if isinstance(corpus, str):
            if corpus not in available:
                raise _unknown("corpus", corpus, available)
            corpus = mteb.get_task(corpus)
        if not isinstance(corpus, AbsTaskRedundancy):
            raise RobustnessError(f"{corpus.metadata.name} is a {corpus.metadata.type} task, not a Redundancy task (a corpus).")
        missing = [t for c in CLAIMS for t in (c.prompt_type, c.reference) if t not in corpus.prompt_types]
        if missing:
            raise RobustnessError(f"{corpus.metadata.name} does not measure the prompt types {sorted(set(missing))} the claims compare.")
        tasks.setdefault(corpus.metadata.name, corpus)
    if not tasks:
        raise RobustnessError(f"No corpora to measure; choose from {', '.join(available)}.")
    plans = []
    for task in tasks.values():
        try:
            texts, dropped = corpus_texts(task)
        except ValueError as error:
            raise RobustnessError(str(error)) from None
        plans.append(CorpusPlan(task, texts, dropped, _corpus_sizes(task.metadata.name, len(texts), sizes, estimators)))
    return RobustnessPlan(model, prompt, variant, out, estimators, plans)


def claim_prompt_types() -> tuple[str, ...]:
    """The prompt types the claims compare: what a run measures unless told to measure every type."""
    return tuple(dict.fromkeys(t for claim in CLAIMS for t in (claim.reference, claim.prompt_type)))


def _prompts_by_type(task, encoder, prompt_types: Sequence[str] | None = None) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The task's distinct prompts (keyed as the Redundancy task keys its clouds) and each prompt type's,
    for ``prompt_types`` (``None``: every type the task measures)."""
    prompts: dict[str, Any] = {}
    types: dict[str, list[str]] = {}
    for source, prompt in task.source_prompts(encoder):
        if prompt_types is not None and source.prompt_type not in prompt_types:
            continue
        key = prompt.apply("{text}")
        prompts.setdefault(key, prompt)
        if key not in types.setdefault(source.prompt_type, []):
            types[source.prompt_type].append(key)
    return prompts, types


def _checked_prompt_types(prompt_types, plan: RobustnessPlan) -> tuple[str, ...] | None:
    """The prompt types to measure (``None``: all), checked against every corpus before any encoding."""
    if prompt_types is None:
        return claim_prompt_types()
    if prompt_types == "all" or list(prompt_types) == ["all"]:
        return None
    prompt_types = tuple(prompt_types)
    missing = [t for t in claim_prompt_types() if t not in prompt_types]
    if missing:
        raise RobustnessError(f"The claims compare {', '.join(claim_prompt_types())}; add {', '.join(missing)} to the prompt types.")
    for corpus in plan.corpora:
        unknown = [t for t in prompt_types if t not in corpus.task.prompt_types]
        if unknown:
            raise RobustnessError(f"{corpus.name} measures no prompt type {', '.join(map(repr, unknown))}; "
                                  f"its types: {', '.join(corpus.task.prompt_types)}.")
    return prompt_types


def run_robustness(
    model: str,
    prompt: str,
    out: str | Path,
    *,
    corpora: Sequence | None = None,
    sizes: Sequence | None = None,
    estimators: Sequence[str] | None = None,
    prompt_types: Sequence[str] | str | None = None,
    n_resamples: int = 200,
    seed: int = 0,
    confidence: float = 0.95,
    batch_size: int | None = None,
    device: str | None = None,
    precision: str | None = None,
    embedding_cache=None,
    encoder=None,
    show_progress: bool = True,
    write: bool = True,
) -> RobustnessResult:
    """Size curves and verdicts of ``model`` under ``prompt`` on each corpus; with ``write``, the
    report folder ``out`` (``report.write_report``). ``corpora`` default to :func:`default_corpora`,
    ``sizes`` to :data:`DEFAULT_SIZES` below each corpus's size plus all its texts, ``estimators`` to
    every registered one, ``prompt_types`` to those the claims compare (:func:`claim_prompt_types`: the
    other types' encodings decide no verdict; ``"all"`` measures every type the corpus has).
    ``encoder`` reuses a loaded encoder of the same variant (the study's)."""
    from tqdm.auto import tqdm

    from mteb_redundancy.models.variants import get_encoder

    plan = check_robustness(model, prompt, out, corpora=corpora, sizes=sizes, estimators=estimators)
    prompt_types = _checked_prompt_types(prompt_types, plan)
    if isinstance(n_resamples, bool) or not isinstance(n_resamples, int) or n_resamples < 2:
        raise RobustnessError(f"n_resamples must be a whole number of at least 2 (200 or more for 95% intervals), got {n_resamples!r}.")
    if not 0.0 < float(confidence) < 1.0:
        raise RobustnessError(f"confidence must lie strictly between 0 and 1, got {confidence!r}.")
    if encoder is None:
        encoder = get_encoder(plan.variant, device=device, cache=embedding_cache, show_progress=show_progress, precision=precision)
    start = encoder.texts_encoded
    curves: list[SizeCurve] = []
    verdicts: list[Verdict] = []
    with tqdm(total=sum(len(c.sizes) for c in plan.corpora), desc="robustness: size curves", unit="size",
              disable=not show_progress) as progress:
        for corpus in plan.corpora:
            prompts, types = _prompts_by_type(corpus.task, encoder, prompt_types)
            # Every subsample lies inside the largest one, so only its texts are encoded; the other
            # rows stay zero and are never read (the subsamples are the same as with every text encoded).
            needed = nested_subsamples(len(corpus.texts), [max(corpus.sizes)])[0]
            texts = [corpus.texts[i] for i in needed]
            clouds = {}
            for key, p in tqdm(prompts.items(), desc=f"{corpus.name}: prompts", unit="prompt", disable=not show_progress, leave=False):
                vectors = encoder.embed(texts, p, batch_size=batch_size)
                clouds[key] = np.zeros((len(corpus.texts), vectors.shape[1]), dtype=vectors.dtype)
                clouds[key][needed] = vectors
            curve = size_curve(clouds, types, corpus.sizes, corpus=corpus.name, estimators=plan.estimators,
                               n_resamples=n_resamples, seed=seed, confidence=confidence, progress=progress)
            curves.append(curve)
            for point in curve.points:
                verdicts += claim_verdicts(point, corpus=corpus.name, estimators=plan.estimators, prompts=types)
    settings = {
        "model": plan.model,
        "prompt_style": plan.prompt,
        "prompt_types": list(prompt_types) if prompt_types is not None else "all",
        "precision": encoder.precision,
        "scheme": curves[0].points[0]["scheme"],
        "n_resamples": n_resamples,
        "seed": seed,
        "confidence": confidence,
        "subsample_seed": SUBSAMPLE_SEED,
        "duplicates_dropped": {c.name: c.n_duplicates_dropped for c in plan.corpora},
    }
    result = RobustnessResult(plan.out, plan.variant, plan.estimators, curves, verdicts, settings,
                              texts_encoded=encoder.texts_encoded - start)
    if write:
        from mteb_redundancy.analyses.robustness.report import write_report

        result.files = write_report(result)
    return result
