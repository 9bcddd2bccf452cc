"""Seeded, stratified splits (pure numpy)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def stratified_split(labels: Sequence[str], test_size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Train and test indices; each label's share of the test split matches its share overall
    (largest-remainder rounding, so the test split has exactly ``test_size`` items)."""
    labels = np.asarray(labels)
    if not 0 < test_size < len(labels):
        raise ValueError(f"test_size must be between 1 and {len(labels) - 1}, got {test_size}.")
    rng = np.random.default_rng(seed)
    classes, counts = np.unique(labels, return_counts=True)
    exact = counts * test_size / len(labels)
    quota = np.floor(exact).astype(int)
    for i in np.argsort(-(exact - quota), kind="stable")[: test_size - quota.sum()]:
        quota[i] += 1
    test = []
    for cls, n in zip(classes, quota):
        members = np.flatnonzero(labels == cls)
        test.extend(rng.choice(members, size=n, replace=False))
    test = np.sort(np.asarray(test, dtype=int))
    train = np.setdiff1d(np.arange(len(labels)), test)
    return train, test
