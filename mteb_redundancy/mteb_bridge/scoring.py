"""Shared fixes for how MTEB scores the project's tasks (same scores, less time)."""

from __future__ import annotations

from typing import Any

import numpy as np


class _LabelsRead:
    """A ``datasets.Dataset`` whose label column has been read into a list; everything else is the
    dataset's own (MTEB's undersampling uses ``len``, ``[label]`` and ``select``)."""

    def __init__(self, dataset, label_column: str):
        self._dataset = dataset
        self._label_column = label_column
        self._labels = dataset[label_column][:]

    def __getitem__(self, key):
        if key == self._label_column:
            return self._labels
        return self._dataset[key]

    def __len__(self) -> int:
        return len(self._dataset)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._dataset, name)


class MaterializedLabels:
    """Mix into an ``AbsTaskClassification`` (before it) so that MTEB reads the labels once.

    With ``datasets`` >= 4, ``dataset["label"]`` is a lazy ``Column``. MTEB's classification
    evaluator indexes it one row at a time while undersampling the training split (every training
    row, in each of the 10 experiments), and sklearn's input checks convert the test labels row by
    row some hundred times per experiment. For WikiTopicClassification that is about 15 s of each
    run on a CPU, and of each d of a sweep. Here the labels are read in one go and MTEB's own code
    does the rest, so the samples and scores are identical.
    """

    def _undersample_data(self, dataset, experiment_num: int, idxs: list[int] | None = None):
        return super()._undersample_data(_LabelsRead(dataset, self.label_column_name), experiment_num, idxs)

    def _calculate_scores(self, y_test, y_pred):
        if not isinstance(y_test, np.ndarray):
            y_test = np.asarray(y_test[:])  # a Column's slice is read in one go
        return super()._calculate_scores(y_test, y_pred)
