"""The chance level of a task's main score, from the task's own evaluation data (``recommend``'s
chance-corrected relative score; docs/methods.md: recommend).

The score a model gets without information in its vectors:

- accuracy (classification, pair classification): the share of the most frequent label among the
  evaluation labels (what a classifier that ignores its input gets by always answering that label);
- average precision (pair classification's ``*_ap``, a classification task scored by AP): the share of
  positive labels (the AP of a random ranking, in expectation);
- mean average precision (reranking, ``map*``): the mean over queries of the expected AP of a random
  order of the query's candidates, (R - 1) / (N - 1) + (H_N / N)(N - R) / (N - 1) for R relevant among
  N candidates (H_N the harmonic number);
- every other main score (nDCG@10 over a corpus, V-measure, Spearman correlation, F1, MRR, any
  multilabel score): 0, the value a random model scores in expectation for correlations and near it
  for rankings over a corpus; the level says "0 (taken)" for these.

Averaged over the evaluation splits and subsets, as MTEB averages the main score.
"""

from __future__ import annotations

import math

import numpy as np

from mteb_redundancy.mteb_bridge.fitting import _split_data


def _labels(values) -> list:
    out = []
    for value in values:
        if isinstance(value, (list, tuple)):
            out.extend(_labels(value))
        else:
            out.append(value)
    return out


def _expected_average_precision(n: int, r: int) -> float:
    if n < 1 or r < 1:
        return float("nan")
    if n == 1:
        return 1.0
    harmonic = sum(1.0 / i for i in range(1, n + 1))
    return (r - 1) / (n - 1) + harmonic / n * (n - r) / (n - 1)


def _one_split(task, data, main_score: str) -> tuple[float, str] | None:
    label_column = getattr(task, "label_column_name", None)
    if task.metadata.type == "MultilabelClassification":  # a row's labels are a set: no single-label floor
        return None
    if label_column and hasattr(data, "column_names") and label_column in data.column_names:
        labels = _labels(data[label_column])
        if not labels:
            return None
        if main_score == "accuracy":
            _, counts = np.unique(np.asarray([str(v) for v in labels]), return_counts=True)
            return float(counts.max() / counts.sum()), "majority-label share"
        if main_score.endswith("ap") and set(map(str, labels)) <= {"0", "1", "True", "False"}:
            return float(np.mean([str(v) in ("1", "True") for v in labels])), "positive-label share"
        return None
    if main_score.startswith("map") and isinstance(data, dict) and "relevant_docs" in data and data.get("top_ranked"):
        values = []
        for query, candidates in data["top_ranked"].items():
            relevant = data["relevant_docs"].get(query, {})
            r = sum(1 for doc in candidates if relevant.get(doc, 0) > 0)
            value = _expected_average_precision(len(candidates), r)
            if not math.isnan(value):
                values.append(value)
        return (float(np.mean(values)), "expected AP of a random order of each query's candidates") if values else None
    return None


def chance_level(task) -> tuple[float, str]:
    """``(chance, how)`` for ``task``'s main score; loads its data if needed."""
    if not task.data_loaded:
        task.load_data()
    main_score = str(task.metadata.main_score)
    subsets = list(getattr(task, "hf_subsets", None) or ["default"])
    found = []
    for split in task.metadata.eval_splits:
        for subset in subsets:
            try:
                data = _split_data(task, subset, split)
            except KeyError:
                continue
            level = _one_split(task, data, main_score)
            if level is not None:
                found.append(level)
    if not found:
        return 0.0, f"0 (taken: {main_score})"
    return float(np.mean([v for v, _ in found])), found[0][1]

