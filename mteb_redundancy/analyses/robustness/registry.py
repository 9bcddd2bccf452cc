"""The estimators robustness runs, by name: the registered ones (``register_estimators`` hook), with
what a robustness table needs of each."""

from __future__ import annotations

from mteb_redundancy.plugins import get_estimator, registered_estimators

# paired_bootstrap splits m texts into two halves of floor(m / 2) and needs 4 per half
SPLIT_HALF_MINIMUM = 8


def estimator_names() -> tuple[str, ...]:
    """Every registered estimator, in the order tables show them."""
    return tuple(estimator.name for estimator in registered_estimators())


def label(name: str) -> str:
    return get_estimator(name).label


def digits(name: str) -> int:
    return get_estimator(name).digits


def neighbours(name: str) -> int:
    """Nearest neighbours each point needs (0: none)."""
    return get_estimator(name).n_neighbors


def minimum_texts(name: str) -> int:
    """The fewest distinct texts an interval of ``name`` can be computed from: each split half must
    hold more points than the neighbours the estimator asks of each point."""
    return max(SPLIT_HALF_MINIMUM, 2 * (neighbours(name) + 1))
