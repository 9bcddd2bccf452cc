"""The estimator contract: what every statistic of a point cloud (intrinsic dimension, isotropy)
declares, so that Redundancy results, their intervals and paired differences, the by-dimension
curves and ``recommend``'s label-free predictor can loop over them instead of naming each.

Pure numpy. The built-in estimators are registered through the ``register_estimators`` hook by
``mteb_redundancy.default_plugins.estimators``, a plugin's the same way; ``mteb_redundancy.plugins``
looks them up by name (:func:`find_estimator` here, so that one rule answers an unknown name).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from dataclasses import dataclass

__all__ = ["FAMILIES", "Estimator", "find_estimator"]

FAMILIES = ("intrinsic_dimension", "isotropy")


@dataclass(frozen=True)
class Estimator:
    """One statistic of a point cloud.

    Attributes
    ----------
    name : str
        Key used everywhere (result columns ``<name>_<prompt type>``, ``--predictor``): lower case.
    label : str
        For tables, e.g. ``"TwoNN ID"``.
    family : str
        ``"intrinsic_dimension"`` or ``"isotropy"``.
    compute : callable
        ``compute(X, neighbours=None) -> float``. ``X`` is an (m, n) float64 matrix of the cloud's
        rows. An estimator with ``n_neighbors > 0`` reads its neighbours from ``neighbours`` (a
        :class:`~mteb_redundancy.estimators.neighbours.CloudNeighbours`: the distinct rows of X and
        their nearest distinct neighbours from the shared core, so one neighbour computation serves
        every estimator and every split) and builds them itself when it is None; the others ignore it.
    n_neighbors : int
        Nearest neighbours per point it needs from the core (0: none).
    scale_free : bool
        Whether multiplying the cloud by a constant leaves the value unchanged.
    reference : str
        The reference implementation it equals and the settings used.
    digits : int
        Decimals when printed.
    on_rows : callable or None
        Optional fast path for the many row subsets of an interval: ``on_rows(X)`` returns a function
        of a boolean row mask giving exactly ``compute(X[mask])``, from work done once per cloud (lPCA
        reuses one Gram matrix). Without it each subset is computed from scratch.
    """

    name: str
    label: str
    family: str
    compute: Callable
    n_neighbors: int = 0
    scale_free: bool = True
    reference: str = ""
    digits: int = 2
    on_rows: Callable | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name or self.name != self.name.lower() or not self.name.isidentifier():
            raise ValueError(f"An estimator's name must be a lower-case identifier (it names result columns), got {self.name!r}.")
        if self.family not in FAMILIES:
            raise ValueError(f"Estimator {self.name!r}: family must be one of {FAMILIES}, got {self.family!r}.")
        if not callable(self.compute):
            raise ValueError(f"Estimator {self.name!r}: compute must be a function compute(X, neighbours=None) -> float.")
        if isinstance(self.n_neighbors, bool) or not isinstance(self.n_neighbors, int) or self.n_neighbors < 0:
            raise ValueError(f"Estimator {self.name!r}: n_neighbors must be an int >= 0, got {self.n_neighbors!r}.")


def find_estimator(name: str, available: Iterable[Estimator]) -> Estimator:
    """The estimator called ``name`` (case-insensitive) among ``available``; an unknown name raises
    a ValueError naming the close ones."""
    table = {est.name: est for est in available}
    key = str(name).strip().lower()
    if key in table:
        return table[key]
    close = difflib.get_close_matches(key, list(table), n=3, cutoff=0.5)
    hint = f" Did you mean {' or '.join(map(repr, close))}?" if close else ""
    raise ValueError(
        f"Unknown estimator {name!r}.{hint} Registered estimators: {', '.join(table) or 'none'} "
        "(a plugin adds one through the register_estimators hook)."
    )
