"""``MeasurementTask``: the base of the project's task types (an MTEB ``AbsTask``).

An MTEB task evaluates a model split by split through ``AbsTask``'s private ``_evaluate_subset`` and
describes its data through ``_calculate_descriptive_statistics_from_split``. A measurement task
(redundancy, instruction displacement) instead implements two public methods, :meth:`load_texts`
and :meth:`measure`; this class adapts them to MTEB. ``measure`` receives a prompt-aware encoder:
the project's own ``PromptedEncoder`` as it is, any other MTEB encoder through
:class:`~mteb_redundancy.mteb_bridge.encoding.TaskPromptEncoder`, so both take one path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from datasets import Dataset, DatasetDict
from mteb.abstasks.abstask import AbsTask

from mteb_redundancy.mteb_bridge.encoding import PromptAwareEncoder, TaskPromptEncoder

if TYPE_CHECKING:
    from pathlib import Path

    from mteb.models import MTEBModels
    from mteb.timing import TimingStack
    from mteb.types import EncodeKwargs


class MeasurementTask(AbsTask):
    """An MTEB task that measures embeddings of a list of texts rather than scoring predictions.

    A subclass sets ``metadata`` and implements :meth:`load_texts` and :meth:`measure`.
    """

    input_column = "text"

    def load_texts(self) -> list[str]:
        raise NotImplementedError(f"{type(self).__name__} must implement load_texts().")

    def check_texts(self, texts: list[str]) -> list[str]:
        """Validate the texts before anything is encoded; return them (a subclass may clean them)."""
        if not texts:
            raise ValueError(f"{self.metadata.name}: load_texts() returned no texts.")
        return texts

    def measure(self, encoder, texts: list[str], *, batch_size: int | None, hf_subset: str) -> dict[str, Any]:
        """The scores of one split: ``encoder`` follows :class:`PromptAwareEncoder`."""
        raise NotImplementedError(f"{type(self).__name__} must implement measure().")

    def extra_statistics(self) -> dict[str, Any]:
        """Entries added to the descriptive statistics of every split."""
        return {}

    def load_data(self, num_proc: int | None = None, **kwargs: Any) -> None:
        if self.data_loaded:
            return
        texts = self.check_texts(list(self.load_texts()))
        rows = Dataset.from_dict({self.input_column: texts})
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
        from mteb.models import EncoderProtocol

        if isinstance(model, PromptAwareEncoder):
            encoder = model
        elif isinstance(model, EncoderProtocol):
            encoder = TaskPromptEncoder(
                model, self.metadata, hf_split=hf_split, hf_subset=hf_subset, encode_kwargs=encode_kwargs, num_proc=num_proc
            )
        else:
            raise TypeError(f"{self.metadata.name} needs an encoder (a model with encode()); got {type(model).__name__}.")
        check_task = getattr(encoder, "check_task", None)
        if callable(check_task):  # e.g. a quantized variant, which these measurements refuse before encoding
            check_task(self.metadata)
        texts = list(data_split[self.input_column])
        return self.measure(encoder, texts, batch_size=encode_kwargs.get("batch_size"), hf_subset=hf_subset)

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
            **self.extra_statistics(),
        }
