"""Any MTEB encoder seen as a prompt-aware encoder, so that the project's task types take one path.

The project's own ``PromptedEncoder`` chooses prompts itself and serves vectors from its
prompt-aware cache. Any other MTEB encoder takes its prompt from what MTEB passes to ``encode``:
the task's metadata (name, type, ``prompt``) and the side (``prompt_type``). Here a "prompt" for
such an encoder is exactly that (:class:`TaskPrompt`), and :class:`TaskPromptEncoder` encodes texts
through MTEB's own dataloaders under it. Mind that MTEB's own embedding cache ignores the prompt
(mteb issue 5383).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

NOT_A_VARIANT_NOTE = (
    "Not an mteb-redundancy variant: each condition's instruction was passed to the model as the task prompt "
    "(TaskMetadata.prompt, none for the base condition); whether and how the model uses it is up to the model. "
    "A displacement of 0 means it ignored it."
)


@runtime_checkable
class PromptAwareEncoder(Protocol):
    """What the analyses ask of an encoder beyond MTEB's ``encode``: the prompt for a task and side
    or for a displacement condition, full-dimension vectors for texts under a prompt (from a
    prompt-aware cache), and the reduction to the variant's dimension. ``PromptedEncoder`` is one;
    any other MTEB encoder is seen through :class:`TaskPromptEncoder`."""

    name: str
    prompt_style: str
    variant: Any  # a VariantName, or None for a model that is not a variant
    normalizes: bool
    precision: str

    def prompt_for(self, task_name: str, task_type: str, side: str | None) -> Any: ...

    def condition_prompt(self, instruction: str | None, kind: str | None) -> Any: ...

    def embed(self, texts: Sequence[str], prompt: Any, *, batch_size: int | None = None) -> np.ndarray: ...

    def reduce(self, vectors: np.ndarray, task_name: str = "", hf_subset: str = "default") -> np.ndarray: ...

    def displacement_note(self, prompts: Any = None) -> str: ...


@dataclass(frozen=True)
class TaskPrompt:
    """What MTEB would pass to a model's ``encode``: the task's name and type (``None``: the task being
    evaluated), the side, and, for a displacement condition, the task prompt (``None`` for the base)."""

    task_name: str | None = None
    task_type: str | None = None
    side: str | None = None
    instruction: str | None = None
    is_condition: bool = False

    @property
    def key(self) -> str:
        return f"{self.task_name}|{self.task_type}|{self.side}|{self.is_condition}|{self.instruction}"

    def apply(self, text: str) -> str:
        shown = self.instruction if self.is_condition else self.task_name
        return f"[{shown or 'task prompt'}] {text}"


def to_numpy(vectors: Any) -> np.ndarray:
    if hasattr(vectors, "detach"):  # a torch tensor
        vectors = vectors.detach().float().cpu().numpy()
    return np.asarray(vectors, dtype=np.float32)


class TaskPromptEncoder:
    """An MTEB encoder that is not a ``PromptedEncoder``, behind the ``PromptAwareEncoder`` protocol."""

    prompt_style = "mteb-task-prompt"
    variant = None
    normalizes = True
    precision = "the model's own"

    def __init__(self, model, task_metadata, *, hf_split: str, hf_subset: str, encode_kwargs: dict, num_proc: int | None = None):
        self.model = model
        self.task_metadata = task_metadata
        self.hf_split = hf_split
        self.hf_subset = hf_subset
        self.encode_kwargs = dict(encode_kwargs or {})
        self.num_proc = num_proc
        meta = getattr(model, "mteb_model_meta", None)
        self.name = getattr(meta, "name", None) or type(model).__name__

    def prompt_for(self, task_name: str, task_type: str, side: str | None) -> TaskPrompt:
        return TaskPrompt(task_name or None, task_type or None, side)

    def condition_prompt(self, instruction: str | None, kind: str | None) -> TaskPrompt:
        return TaskPrompt(side="query", instruction=instruction, is_condition=True)

    def displacement_note(self, prompts=None) -> str:
        return NOT_A_VARIANT_NOTE

    def embed(self, texts: Sequence[str], prompt, *, batch_size: int | None = None) -> np.ndarray:
        from datasets import Dataset
        from mteb._create_dataloaders import create_dataloader
        from mteb.types import PromptType

        prompt = prompt if isinstance(prompt, TaskPrompt) else TaskPrompt()
        update: dict[str, Any] = {}
        if prompt.task_name:
            update.update(name=prompt.task_name, type=prompt.task_type)
        if prompt.is_condition:
            update["prompt"] = prompt.instruction
        metadata = self.task_metadata.model_copy(update=update) if update else self.task_metadata
        kwargs = {**self.encode_kwargs, **({"batch_size": batch_size} if batch_size else {})}
        loader = create_dataloader(
            Dataset.from_dict({"text": list(texts)}), task_metadata=metadata, input_column="text", num_proc=self.num_proc, **kwargs
        )
        vectors = self.model.encode(
            loader,
            task_metadata=metadata,
            hf_split=self.hf_split,
            hf_subset=self.hf_subset,
            prompt_type=PromptType(prompt.side) if prompt.side else None,
            **kwargs,
        )
        return to_numpy(vectors)

    def reduce(self, vectors: np.ndarray, task_name: str = "", hf_subset: str = "default") -> np.ndarray:
        return vectors
