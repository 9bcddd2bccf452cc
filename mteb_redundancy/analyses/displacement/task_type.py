"""The ``InstructionDisplacement`` task type (Ogawa et al., section 4): one model's displacement per condition.

A task of this type is a list of neutral queries and a table of conditions (name -> instruction,
``None`` for the base). Evaluating a model embeds every query under every condition and reports,
per condition, how far it moved the queries from the base condition: mean per-query cosine
distance, centroid shift and centroid cosine distance, in the model's own space and in its PCA-k
space (k = 200, capped and reported; one basis fitted on the Base condition's embeddings and applied to
every condition, so the Base coordinates do not depend on the instructions). So one model's
``mteb run`` gives numbers without other models; ``mteb-redundancy displacement-map`` compares models.

Main score: ``mean_displacement`` = the mean over instructed conditions of the mean per-query cosine
distance from the base condition. It is **not** a higher-is-better score (MTEB ranks
higher-is-better; do not put this task in a leaderboard mean).

How a condition reaches the model:

- an mteb-redundancy variant (``PromptedEncoder``): its prompt style builds the prompt
  (``PromptStyle.condition_prompt``): ``instruction`` -> the ModelSpec's ``Instruct: {instruction}\\nQuery: ``
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
from typing import Any, ClassVar

from mteb_redundancy.analyses.displacement.conditions import (
    DISPLACEMENT_CONDITIONS,
    TASK_TYPE,
    base_condition_of,
    check_queries,
    condition_prompts,
    validate_conditions,
)
from mteb_redundancy.analyses.displacement.measure import (
    embed_conditions,
    measure_displacement,
)
from mteb_redundancy.estimators.pca import DEFAULT_PCA_DIM
from mteb_redundancy.mteb_bridge.task_base import MeasurementTask
from mteb_redundancy.mteb_bridge.task_metadata import ExtendedTaskMetadata


class InstructionDisplacementMetadata(ExtendedTaskMetadata):
    """``TaskMetadata`` that accepts ``type="InstructionDisplacement"`` (seen by MTEB's model
    wrappers as a semantic-similarity task)."""

    extra_types = {TASK_TYPE: "semantic-similarity"}


class AbsTaskInstructionDisplacement(MeasurementTask):
    """Base class of instruction-displacement tasks.

    A subclass sets ``metadata`` (an :class:`InstructionDisplacementMetadata` with
    ``type="InstructionDisplacement"`` and ``main_score="mean_displacement"``) and implements
    :meth:`load_queries`; it may replace ``conditions`` (an ordered mapping condition ->
    instruction, exactly one ``None`` = the base condition) and ``pca_dim``.
    """

    conditions: ClassVar[Mapping[str, str | None]] = DISPLACEMENT_CONDITIONS
    pca_dim: ClassVar[int] = DEFAULT_PCA_DIM

    def load_queries(self) -> list[str]:
        """The queries, in a fixed order."""
        raise NotImplementedError(f"{type(self).__name__} must implement load_queries().")

    def load_texts(self) -> list[str]:
        return self.load_queries()

    def check_texts(self, texts: list[str]) -> list[str]:
        return check_queries(texts)

    def extra_statistics(self) -> dict[str, Any]:
        return {"conditions": list(self.conditions)}

    def measure(self, encoder, texts: list[str], *, batch_size: int | None, hf_subset: str) -> dict[str, Any]:
        texts = check_queries(texts)
        conditions = validate_conditions(self.conditions)
        embeddings = embed_conditions(
            encoder, texts, conditions, task_name=self.metadata.name, hf_subset=hf_subset, batch_size=batch_size
        )
        result = measure_displacement(
            embeddings,
            base_condition=base_condition_of(conditions),
            k=self.pca_dim,
            model=encoder.name,
            prompt_style=encoder.prompt_style,
            instructions=conditions,
            prompts=condition_prompts(encoder, conditions),
            note=encoder.displacement_note(condition_prompts(encoder, conditions)),
        )
        return {**result.to_scores(), "precision": encoder.precision}
