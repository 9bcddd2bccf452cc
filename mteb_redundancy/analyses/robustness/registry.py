"""The estimators robustness runs, by name: a stand-in for the project's estimator registry.

Until the registry (``mteb_redundancy.estimators.registry``) lands, the estimators are those the
paired split-half intervals compute today. Each function below is one line to point at the
registry: ``estimator_names`` at its names in registration order, ``label``/``digits``/``neighbours``
at the registered ``Estimator``'s fields.
"""

from __future__ import annotations

# name -> (label for tables, digits to print, nearest neighbours each point needs)
_FACTS = {"twonn": ("TwoNN ID", 2, 2), "isoscore": ("IsoScore", 4, 0)}

# paired_bootstrap splits m texts into two halves of floor(m / 2) and needs 4 per half
SPLIT_HALF_MINIMUM = 8


def estimator_names() -> tuple[str, ...]:
    """Every estimator robustness runs by default, in the order tables show them."""
    return tuple(_FACTS)


def label(name: str) -> str:
    return _FACTS[name][0]


def digits(name: str) -> int:
    return _FACTS[name][1]


def neighbours(name: str) -> int:
    return _FACTS[name][2]


def minimum_texts(name: str) -> int:
    """The fewest distinct texts an interval of ``name`` can be computed from: each split half must
    hold more points than the neighbours the estimator asks of each point."""
    return max(SPLIT_HALF_MINIMUM, 2 * (neighbours(name) + 1))
