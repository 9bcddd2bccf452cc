"""The texts a ``reduction=pca`` variant fits its projection on, per MTEB task.

The basis must not depend on which split MTEB happens to encode first (for classification that is
the few-shot training sample: 8 per label x 10 experiments), must be free of labels, and must be
large enough for every d up to the model's dimension. So it is a fixed set of the task's own texts:

- retrieval, reranking: the corpus of the evaluation splits (documents, as MTEB formats them:
  title and text joined), embedded with the document prompt;
- classification, clustering and other single-text tasks: every text of the evaluation splits;
- STS, pair classification: both texts of every pair of the evaluation splits.

These are texts MTEB encodes anyway (except retrieval's corpus when MTEB's own scoring skips part of
it), so with the embedding cache the fitting set costs no extra encoding.
"""

from __future__ import annotations

from dataclasses import dataclass

RETRIEVAL_TYPES = ("Retrieval", "InstructionRetrieval", "Reranking", "InstructionReranking")
PAIR_TYPES = ("STS", "PairClassification")


@dataclass(frozen=True)
class FittingSet:
    texts: list[str]
    side: str | None  # the prompt side the texts are embedded with
    description: str


def _split_data(task, hf_subset: str, split: str):
    dataset = task.dataset
    if hf_subset in dataset and split not in dataset:
        return dataset[hf_subset][split]
    return dataset[split]


def _flatten(values) -> list[str]:
    out = []
    for value in values:
        if isinstance(value, (list, tuple)):
            out.extend(_flatten(value))
        elif isinstance(value, str):
            out.append(value)
    return out


def pca_fitting_set(task_name: str, hf_subset: str = "default") -> FittingSet:
    """The fitting set of ``task_name`` (distinct texts, first-seen order); raises ``ValueError`` for a
    task type it does not know."""
    import mteb

    return fitting_set_of_task(mteb.get_task(task_name), hf_subset)


def fitting_set_of_task(task, hf_subset: str = "default") -> FittingSet:
    """:func:`pca_fitting_set` of a task object (e.g. one cut down to fewer texts, or one MTEB's
    registry does not know); loads its data if needed."""
    from mteb.abstasks.retrieval import AbsTaskRetrieval
    from mteb.types import PromptType

    task_name = task.metadata.name
    if not task.data_loaded:
        task.load_data()
    task_type = task.metadata.type
    splits = list(task.metadata.eval_splits)
    texts: list[str] = []
    if isinstance(task, AbsTaskRetrieval) or task_type in RETRIEVAL_TYPES:
        from mteb._create_dataloaders import _retrieval_texts

        for split in splits:
            texts += _retrieval_texts(_split_data(task, hf_subset, split)["corpus"], PromptType.document)
        side, what = "document", "the corpus (documents)"
    elif task_type in PAIR_TYPES:
        columns = getattr(task, "column_names", None) or ("sentence1", "sentence2")
        for split in splits:
            data = _split_data(task, hf_subset, split)
            for column in columns:
                texts += _flatten(data[str(column)])
        side, what = None, "both texts of every pair"
    else:
        column = getattr(task, "input_column_name", None) or getattr(task, "input_column", None) or "text"
        if not isinstance(column, str):
            raise ValueError(f"reduction=pca: {task_name} has several input columns {column}; no fitting set is defined for it.")
        for split in splits:
            texts += _flatten(_split_data(task, hf_subset, split)[column])
        side, what = None, "every text"
    distinct = list(dict.fromkeys(t for t in texts if t.strip()))
    description = f"{what} of the evaluation splits {', '.join(splits)} (subset {hf_subset}): {len(distinct)} distinct texts"
    return FittingSet(distinct, side, description)
