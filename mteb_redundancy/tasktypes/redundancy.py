"""The ``Redundancy`` task type: intrinsic dimension and IsoScore per prompt type (spec section 6).

A task of this type is a corpus. Evaluating a model embeds the corpus under each prompt type
(retrieval query, retrieval document, classification, clustering, none) and reports, per type, the
TwoNN intrinsic dimension, the IsoScore, the number of points m and dimensions n, the duplicates
dropped and the IsoScore of an isotropic Gaussian at the same (m, n); the same measures at reduced
dimensions d (``by_dimension``); and, for prompt styles with several instructions per type, each
instruction's values (``per_instruction``) besides their mean.

Main score: ``main_score`` = TwoNN intrinsic dimension under the **retrieval-query** prompt type. Every
prompt style defines a query prompt, it is the first column of seed 000's Tables 1 and 2, and the
seed's finding is stated against it (classification and clustering prompts give lower ID). It is a
measurement, **not** a higher-is-better score: keep it out of leaderboard means.

Any corpus becomes a redundancy task in a few lines (e.g. in a plugin's ``register_tasks``)::

    class MyCorpusRedundancy(AbsTaskRedundancy):
        metadata = RedundancyMetadata(name="MyCorpusRedundancy", type="Redundancy", ...)
        def load_texts(self):
            return my_texts
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from datasets import Dataset, DatasetDict
from mteb.abstasks.abstask import AbsTask
from tqdm.auto import tqdm

from mteb_redundancy.prompts import NO_PROMPT
from mteb_redundancy.redundancy import (
    PROMPT_TYPES,
    PromptTypeResult,
    deduplicate_texts,
    measure,
    measure_by_dimension,
    prompt_sources,
    summarize,
    to_scores,
)
from mteb_redundancy.reduction import Reducer, dimension_grid
from mteb_redundancy.tasktypes.base import ExtendedTaskMetadata

if TYPE_CHECKING:
    from pathlib import Path

    from mteb.models import MTEBModels
    from mteb.timing import TimingStack
    from mteb.types import EncodeKwargs

TASK_TYPE = "Redundancy"


class RedundancyMetadata(ExtendedTaskMetadata):
    """``TaskMetadata`` that accepts ``type="Redundancy"``."""

    extra_types = {TASK_TYPE: "semantic-similarity"}


class AbsTaskRedundancy(AbsTask):
    """Base class of redundancy tasks: a subclass sets ``metadata`` and implements ``load_texts``."""

    prompt_types: ClassVar[Sequence[str]] = PROMPT_TYPES
    main_prompt_type: ClassVar[str] = "retrieval_query"
    discard_fraction: ClassVar[float] = 0.1

    def load_texts(self) -> list[str]:
        raise NotImplementedError(f"{type(self).__name__} must implement load_texts().")

    def load_data(self, num_proc: int | None = None, **kwargs: Any) -> None:
        if self.data_loaded:
            return
        texts = list(self.load_texts())
        if not texts:
            raise ValueError(f"{self.metadata.name}: load_texts() returned no texts.")
        rows = Dataset.from_dict({"text": texts})
        self.dataset = DatasetDict({split: rows for split in self.metadata.eval_splits})
        self.data_loaded = True

    def _evaluate_subset(
        self,
        model: MTEBModels,
        data_split: Dataset,
        *,
        hf_split: str,
        hf_subset: str,
        encode_kwargs: EncodeKwargs,
        prediction_folder: Path | None = None,
        num_proc: int | None = None,
        timer: TimingStack,
        **kwargs: Any,
    ) -> dict[str, Any]:
        texts, dropped = deduplicate_texts(list(data_split["text"]))
        if len(texts) < 3:
            raise ValueError(f"{self.metadata.name}: {len(texts)} distinct non-empty texts; TwoNN needs at least 3.")
        embed = _embedder(model, texts, self.metadata, hf_split, hf_subset, encode_kwargs, num_proc)
        reducer = _variant_reducer(model)

        # Sources that give the same prompt share one encoding and one measurement.
        measured: dict[str, tuple[Any, list[dict]]] = {}
        per_type: dict[str, list[tuple[str, str, Any]]] = {t: [] for t in self.prompt_types}
        by_dimension: dict[str, list[list[dict]]] = {t: [] for t in self.prompt_types}
        for source in tqdm(prompt_sources(self.prompt_types), desc=f"{self.metadata.name}: prompts", unit="prompt"):
            prompt, vectors_fn = embed(source)
            key = getattr(prompt, "key", prompt)
            if key not in measured:
                full = vectors_fn()
                X = reducer(full) if reducer else full
                dims = dimension_grid(X.shape[1])
                curve = measure_by_dimension(full, dims, reduction=_reduction_of(model), normalize=_normalizes(model))
                measured[key] = (measure(X, discard_fraction=self.discard_fraction), curve)
            measures, curve = measured[key]
            shown = prompt.apply("{text}") if hasattr(prompt, "apply") else prompt
            per_type[source.prompt_type].append((source.task_name, shown, measures))
            by_dimension[source.prompt_type].append(curve)

        results = []
        for prompt_type in self.prompt_types:
            entries = per_type[prompt_type]
            distinct = {key: (task, key, m) for task, key, m in entries}
            results.append(
                PromptTypeResult(
                    prompt_type=prompt_type,
                    measures=summarize([m for _, _, m in distinct.values()]),
                    per_instruction=[
                        {"task": task, "prompt": key, "twonn": m.twonn, "isoscore": m.isoscore} for task, key, m in entries
                    ],
                    by_dimension=_mean_curves(by_dimension[prompt_type]),
                )
            )
        return to_scores(results, n_texts=len(texts), n_duplicate_texts_dropped=dropped, main_prompt_type=self.main_prompt_type)

    def _calculate_descriptive_statistics_from_split(
        self, split: str, hf_subset: str | None = None, compute_overall: bool = False, num_proc: int | None = None
    ) -> dict[str, Any]:
        from mteb.abstasks._statistics_calculation import calculate_text_statistics

        if not self.data_loaded:
            self.load_data()
        texts = list(self.dataset[split]["text"])
        statistics = calculate_text_statistics(texts)
        return {"num_samples": len(texts), "number_of_characters": statistics["total_text_length"], "text_statistics": statistics}


def _mean_curves(curves: list[list[dict]]) -> list[dict]:
    if not curves:
        return []
    rows = []
    for points in zip(*curves):
        row = dict(points[0])
        for name in ("twonn", "isoscore"):
            row[name] = float(np.mean([p[name] for p in points]))
        rows.append(row)
    return rows


def _is_variant(model) -> bool:
    from mteb_redundancy.encoders.wrapper import PromptedEncoder

    return isinstance(model, PromptedEncoder)


def _reduction_of(model) -> str:
    return model.variant.reduction if _is_variant(model) and model.variant.dim is not None else "first"


def _normalizes(model) -> bool:
    return model.spec.similarity == "cosine" if _is_variant(model) else True


def _variant_reducer(model):
    if not _is_variant(model) or model.variant.dim is None:
        return None
    return lambda full: Reducer(model.variant.reduction, model.variant.dim, normalize=_normalizes(model)).fit_transform(full)


def _embedder(model, texts, metadata, hf_split, hf_subset, encode_kwargs, num_proc):
    """``embed(source) -> (key, lazy full vectors)``: through the prompt-aware cache for the project's
    variants; through ``model.encode`` with the source task's metadata for any other MTEB encoder."""
    if _is_variant(model):

        def embed(source):
            prompt = NO_PROMPT if source.prompt_type == "none" else model.prompt_for(source.task_name, source.task_type, source.side)
            return prompt, lambda: model.embed(texts, prompt, batch_size=encode_kwargs.get("batch_size"))

        return embed

    from mteb._create_dataloaders import create_dataloader
    from mteb.types import PromptType

    def embed(source):
        task_meta = metadata
        if source.prompt_type != "none":
            task_meta = metadata.model_copy(update={"name": source.task_name, "type": source.task_type})
        side = PromptType(source.side) if source.side else None

        def vectors():
            loader = create_dataloader(
                Dataset.from_dict({"text": texts}), task_metadata=task_meta, input_column="text", num_proc=num_proc, **encode_kwargs
            )
            out = model.encode(loader, task_metadata=task_meta, hf_split=hf_split, hf_subset=hf_subset, prompt_type=side, **encode_kwargs)
            return np.asarray(out.detach().cpu().numpy() if hasattr(out, "detach") else out, dtype=np.float32)

        return f"{source.task_name}|{source.side}", vectors

    return embed
