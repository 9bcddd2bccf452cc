"""Shared fixes for how MTEB scores the project's tasks (same scores, less time)."""

from __future__ import annotations

import numpy as np


class MaterializedLabels:
    """Mix into an ``AbsTaskClassification`` (before it) so that each experiment's scoring gets the
    test labels as an array.

    With ``datasets`` >= 4, MTEB hands its scoring ``eval_split[label]``: a lazy ``Column`` that
    sklearn's input checks turn into an array row by row, some hundred times per experiment (about
    1 s per experiment for 2,000 labels on a CPU, so 10 s of each run, and of each d of a sweep).
    The labels are read once here instead; the scores are identical.
    """

    def _calculate_scores(self, y_test, y_pred):
        if not isinstance(y_test, np.ndarray):
            y_test = np.asarray(list(y_test))
        return super()._calculate_scores(y_test, y_pred)
