"""The ``Redundancy`` task type: intrinsic dimension and IsoScore per prompt type (Tsukagoshi & Sasano 2025, section 3).

A task of this type is a corpus. Evaluating a model embeds the corpus under each prompt type
(retrieval query, retrieval document, classification, clustering, none) and reports, per type, every
registered estimator (TwoNN and MLE intrinsic dimension, IsoScore, lPCA, and any a plugin registers
through ``register_estimators``) with its interval, the number of points m and dimensions n, the duplicates
dropped and the IsoScore of an isotropic Gaussian at the same (m, n); the same measures at reduced
dimensions d (``by_dimension``); and, for prompt styles with several instructions per type, each
instruction's values (``per_instruction``) besides their mean.

Main score: ``main_score`` = TwoNN intrinsic dimension under the **retrieval-query** prompt type. Every
prompt style defines a query prompt, it is the first column of Tsukagoshi & Sasano's Tables 1 and 2, and
their finding is stated against it (classification and clustering prompts give lower ID). It is a
measurement, **not** a higher-is-better score: keep it out of leaderboard means.

Any corpus becomes a redundancy task in a few lines (e.g. in a plugin's ``register_tasks``)::

    class MyCorpusRedundancy(AbsTaskRedundancy):
        metadata = RedundancyMetadata(name="MyCorpusRedundancy", type="Redundancy", ...)
        def load_texts(self):
            return my_texts
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
from tqdm.auto import tqdm

from mteb_redundancy.analyses.redundancy.measure import (
    PROMPT_TYPES,
    PromptTypeResult,
    deduplicate_texts,
    estimators_for,
    measure,
    measure_by_dimension,
    neighbour_lists,
    prompt_sources,
    summarize,
    to_scores,
)
from mteb_redundancy.analyses.redundancy.uncertainty import type_uncertainty
from mteb_redundancy.models.reduction import Reducer, dimension_grid
from mteb_redundancy.models.styles import NO_PROMPT
from mteb_redundancy.mteb_bridge.task_base import MeasurementTask
from mteb_redundancy.mteb_bridge.task_metadata import ExtendedTaskMetadata

TASK_TYPE = "Redundancy"


class RedundancyMetadata(ExtendedTaskMetadata):
    """``TaskMetadata`` that accepts ``type="Redundancy"``."""

    extra_types = {TASK_TYPE: "semantic-similarity"}


class AbsTaskRedundancy(MeasurementTask):
    """Base class of redundancy tasks: a subclass sets ``metadata`` and implements ``load_texts``."""

    prompt_types: ClassVar[Sequence[str]] = PROMPT_TYPES
    main_prompt_type: ClassVar[str] = "retrieval_query"
    main_estimator: ClassVar[str] = "twonn"  # the main score's estimator
    discard_fraction: ClassVar[float] = 0.1
    # Intervals from paired random split-half resampling of the texts (0 resamples: none).
    n_resamples: ClassVar[int] = 200
    resampling_seed: ClassVar[int] = 0

    def source_prompts(self, encoder) -> list[tuple[Any, Any]]:
        """Each prompt source of the task's prompt types with the encoder's prompt for it."""
        return [
            (source, NO_PROMPT if source.prompt_type == "none" else encoder.prompt_for(source.task_name, source.task_type, source.side))
            for source in prompt_sources(self.prompt_types)
        ]

    def encoding_plan(self, encoder) -> list[tuple[Any, list[str]]]:
        """What evaluating ``encoder`` on this task encodes at full dimension: each distinct prompt
        (by cache key) with the texts, exactly as :meth:`measure` asks ``encoder.embed`` for them.
        The distributed encoder (``mteb_redundancy.engines``) fills the cache from it."""
        texts, _ = deduplicate_texts(self.check_texts(list(self.load_texts())))
        prompts = {prompt.key: prompt for _, prompt in self.source_prompts(encoder)}
        return [(prompt, texts) for prompt in prompts.values()]

    def measure(self, encoder, texts: list[str], *, batch_size: int | None, hf_subset: str) -> dict[str, Any]:
        texts, dropped = deduplicate_texts(texts)
        estimators = estimators_for(self.discard_fraction)
        # checked before any encoding: the estimator needing the most neighbours sets the minimum
        needed = max([3] + [est.n_neighbors + 1 for est in estimators])
        if len(texts) < needed:
            hungriest = max(estimators, key=lambda est: est.n_neighbors)
            raise ValueError(
                f"{self.metadata.name}: {len(texts)} distinct non-empty texts; the {hungriest.label} estimator "
                f"({hungriest.n_neighbors} nearest neighbours) needs at least {needed}. Use a corpus with more distinct texts."
            )
        variant = encoder.variant
        reduced = variant is not None and variant.dim is not None
        reduction = variant.reduction if reduced else "first"

        # Sources that give the same prompt share one encoding and one measurement.
        measured: dict[str, tuple[Any, list[dict]]] = {}
        clouds: dict[str, np.ndarray] = {}  # the measured point cloud of each distinct prompt
        lists: dict[str, Any] = {}  # its one neighbour computation, shared by the headline and the intervals
        per_type: dict[str, list[tuple[str, str, Any, str]]] = {t: [] for t in self.prompt_types}
        by_dimension: dict[str, dict[str, list[dict]]] = {t: {} for t in self.prompt_types}
        for source, prompt in tqdm(self.source_prompts(encoder), desc=f"{self.metadata.name}: prompts", unit="prompt"):
            if prompt.key not in measured:
                full = encoder.embed(texts, prompt, batch_size=batch_size)
                X = Reducer(variant.reduction, variant.dim, normalize=encoder.normalizes).fit_transform(full) if reduced else full
                curve = measure_by_dimension(
                    full, dimension_grid(X.shape[1]), reduction=reduction, normalize=encoder.normalizes, estimators=estimators
                )
                key = prompt.apply("{text}")
                X = np.asarray(X, dtype=np.float64)
                lists[key] = neighbour_lists(X, estimators, splits=bool(self.n_resamples))
                measured[prompt.key] = (measure(X, estimators=estimators, lists=lists[key]), curve)
                clouds[key] = X
            measures, curve = measured[prompt.key]
            per_type[source.prompt_type].append((source.task_name, prompt.apply("{text}"), measures, getattr(prompt, "source", "")))
            by_dimension[source.prompt_type][prompt.apply("{text}")] = curve

        # One rule for the headline and the curve: the mean over a type's distinct prompts (two tasks
        # that share an instruction count once).
        results = []
        for prompt_type in self.prompt_types:
            entries = per_type[prompt_type]
            distinct = {key: m for _, key, m, _ in entries}
            results.append(
                PromptTypeResult(
                    prompt_type=prompt_type,
                    measures=summarize(list(distinct.values())),
                    per_instruction=[
                        {"task": task, "prompt": key, "instruction_source": origin, **m.values}
                        for task, key, m, origin in entries
                    ],
                    by_dimension=_mean_curves(list(by_dimension[prompt_type].values()), [est.name for est in estimators]),
                )
            )
        scores = to_scores(
            results, n_texts=len(texts), n_duplicate_texts_dropped=dropped, main_prompt_type=self.main_prompt_type,
            main_estimator=self.main_estimator,
        )
        scores["precision"] = encoder.precision
        if self.n_resamples:
            types = {t: list(dict.fromkeys(key for _, key, _, _ in per_type[t])) for t in self.prompt_types}
            scores["uncertainty"] = type_uncertainty(
                clouds, types, n_resamples=self.n_resamples, seed=self.resampling_seed, estimators=estimators,
                neighbour_lists=lists,
            )
        return scores


def _mean_curves(curves: list[list[dict]], names: Sequence[str]) -> list[dict]:
    if not curves:
        return []
    rows = []
    for points in zip(*curves):
        row = dict(points[0])
        for name in names:
            row[name] = float(np.mean([p[name] for p in points]))
        rows.append(row)
    return rows
