"""The ``InstructionDisplacement`` task type (spec section 7 step 7, seed 001).

A task of this type is a list of neutral queries and a table of conditions (name -> instruction,
``None`` for the base). Evaluating a model embeds every query under every condition and reports,
per condition, how far it moved the queries from the base condition: mean per-query cosine
distance, centroid shift and centroid cosine distance, in the model's own space and in its PCA-k
space (k = 200, one basis fitted on all conditions, capped and reported). So one model's
``mteb run`` gives numbers without other models; ``mteb-redundancy displacement-map`` compares models.

Main score: ``mean_displacement`` = the mean over instructed conditions of the mean per-query cosine
distance from the base condition. It is **not** a higher-is-better score (MTEB ranks
higher-is-better; do not put this task in a leaderboard mean).

How a condition reaches the model:

- an mteb-redundancy variant (``PromptedEncoder``): its prompt style builds the prompt
  (``prompts.condition_prompt``): ``instruction`` -> the ModelSpec's ``Instruct: {instruction}\\nQuery: ``
  template; ``instructor`` -> its instructor template with the instruction left out of pooling;
  ``prefix`` -> the model's prefix for the condition's task kind (no instruction slot);
  ``none``/``prompteol`` -> the same input for every condition, so every displacement is 0 and the
  result says so. Vectors go through ``encoder.embed`` and the prompt-aware cache.
- any other MTEB encoder: each condition's instruction is passed as the task prompt
  (``TaskMetadata.prompt``; ``None`` for the base), so models that take instructions from MTEB
  (e.g. ``InstructSentenceTransformerModel``) apply their own template and the others see the same
  input every time. Mind that MTEB's own embedding cache ignores the prompt (mteb issue 5383).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from datasets import Dataset, DatasetDict
from mteb.abstasks.abstask import AbsTask
from mteb.models import EncoderProtocol
from mteb.types import PromptType

from mteb_redundancy.alignment import DEFAULT_PCA_DIM
from mteb_redundancy.displacement import (
    TASK_TYPE,
    base_condition_of,
    check_queries,
    embed_conditions,
    measure_displacement,
    prompts_for_encoder,
    validate_conditions,
)
from mteb_redundancy.prompts import DISPLACEMENT_CONDITIONS
from mteb_redundancy.tasktypes.base import ExtendedTaskMetadata

if TYPE_CHECKING:
    from pathlib import Path

    from mteb.models import MTEBModels
    from mteb.timing import TimingStack
    from mteb.types import EncodeKwargs

class InstructionDisplacementMetadata(ExtendedTaskMetadata):
    """``TaskMetadata`` that accepts ``type="InstructionDisplacement"`` (seen by MTEB's model
    wrappers as a semantic-similarity task)."""

    extra_types = {TASK_TYPE: "semantic-similarity"}


class AbsTaskInstructionDisplacement(AbsTask):
    """Base class of instruction-displacement tasks.

    A subclass sets ``metadata`` (an :class:`InstructionDisplacementMetadata` with
    ``type="InstructionDisplacement"`` and ``main_score="mean_displacement"``) and implements
    :meth:`load_queries`; it may replace ``conditions`` (an ordered mapping condition ->
    instruction, exactly one ``None`` = the base condition) and ``pca_dim``.
    """

    conditions: ClassVar[Mapping[str, str | None]] = DISPLACEMENT_CONDITIONS
    pca_dim: ClassVar[int] = DEFAULT_PCA_DIM
    input_column: ClassVar[str] = "text"

    def load_queries(self) -> list[str]:
        """The queries, in a fixed order."""
        raise NotImplementedError(f"{type(self).__name__} must implement load_queries().")

    def load_data(self, num_proc: int | None = None, **kwargs: Any) -> None:
        if self.data_loaded:
            return
        queries = check_queries(self.load_queries())
        rows = Dataset.from_dict({"id": [f"q{i}" for i in range(len(queries))], self.input_column: queries})
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
        from mteb_redundancy.encoders.wrapper import PromptedEncoder

        texts = check_queries(data_split[self.input_column])
        conditions = validate_conditions(self.conditions)
        base = base_condition_of(conditions)
        if isinstance(model, PromptedEncoder):
            embeddings = embed_conditions(
                model,
                texts,
                conditions,
                task_name=self.metadata.name,
                hf_subset=hf_subset,
                batch_size=encode_kwargs.get("batch_size"),
            )
            result = measure_displacement(
                embeddings,
                base_condition=base,
                k=self.pca_dim,
                model=str(model.variant),
                prompt_style=model.variant.prompt,
                instructions=conditions,
                prompts=prompts_for_encoder(model, conditions, self.metadata.name),
            )
        else:
            if not isinstance(model, EncoderProtocol):
                raise TypeError(f"{self.metadata.name} needs an encoder (a model with encode()); got {type(model).__name__}.")
            embeddings = self._encode_with_task_prompts(
                model, texts, conditions, hf_split=hf_split, hf_subset=hf_subset, encode_kwargs=encode_kwargs, num_proc=num_proc
            )
            meta = getattr(model, "mteb_model_meta", None)
            result = measure_displacement(
                embeddings,
                base_condition=base,
                k=self.pca_dim,
                model=getattr(meta, "name", None) or type(model).__name__,
                prompt_style="mteb-task-prompt",
                instructions=conditions,
                note=(
                    "Not an mteb-redundancy variant: each condition's instruction was passed to the model as the "
                    "task prompt (TaskMetadata.prompt, none for the base condition); whether and how the model "
                    "uses it is up to the model. A displacement of 0 means it ignored it."
                ),
            )
        return result.to_scores()

    def _encode_with_task_prompts(
        self,
        model: EncoderProtocol,
        texts: list[str],
        conditions: Mapping[str, str | None],
        *,
        hf_split: str,
        hf_subset: str,
        encode_kwargs: EncodeKwargs,
        num_proc: int | None,
    ) -> dict[str, np.ndarray]:
        from mteb._create_dataloaders import create_dataloader

        dataset = Dataset.from_dict({self.input_column: texts})
        embeddings = {}
        for condition, instruction in conditions.items():
            metadata = self.metadata.model_copy(update={"prompt": instruction})
            loader = create_dataloader(
                dataset, task_metadata=metadata, input_column=self.input_column, num_proc=num_proc, **encode_kwargs
            )
            vectors = model.encode(
                loader,
                task_metadata=metadata,
                hf_split=hf_split,
                hf_subset=hf_subset,
                prompt_type=PromptType.query,
                **encode_kwargs,
            )
            embeddings[condition] = _to_numpy(vectors)
        return embeddings

    def _calculate_descriptive_statistics_from_split(
        self, split: str, hf_subset: str | None = None, compute_overall: bool = False, num_proc: int | None = None
    ) -> dict[str, Any]:
        from mteb.abstasks._statistics_calculation import calculate_text_statistics

        if not self.data_loaded:
            self.load_data()
        texts = list(self.dataset[split][self.input_column])
        statistics = calculate_text_statistics(texts)
        return {
            "num_samples": len(texts),
            "number_of_characters": statistics["total_text_length"],
            "text_statistics": statistics,
            "conditions": list(self.conditions),
        }


def _to_numpy(vectors: Any) -> np.ndarray:
    if hasattr(vectors, "detach"):  # a torch tensor
        vectors = vectors.detach().float().cpu().numpy()
    return np.asarray(vectors, dtype=np.float64)
