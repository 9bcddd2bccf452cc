"""Intervals for the redundancy figures per prompt type, and paired differences between types, from
the one encoding (``estimators.bootstrap``: paired random split-half; no re-encoding).

A prompt type with several distinct prompts (one instruction per task) is the mean over its prompts;
each split's half- and quarter-statistics are averaged the same way, so a type's interval is that of
the mean, and differences between types are paired on the same halves of the same texts. Every
interval covers the expectation of the estimate at the corpus's number of texts m (``covers``), not
the population value. No MTEB import.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from mteb_redundancy.estimators.bootstrap import _split_half_interval, covers, paired_bootstrap
from mteb_redundancy.estimators.neighbours import NeighbourLists
from mteb_redundancy.estimators.registry import Estimator
from mteb_redundancy.plugins import registered_estimators

REFERENCE_TYPE = "retrieval_query"
TYPE_LABELS = {"retrieval_query": "query", "retrieval_document": "document"}


def type_uncertainty(
    clouds: Mapping[str, np.ndarray],
    types: Mapping[str, Sequence[str]],
    *,
    n_resamples: int = 200,
    seed: int = 0,
    confidence: float = 0.95,
    estimators: Sequence[Estimator] | None = None,
    neighbour_lists: Mapping[str, NeighbourLists] | None = None,
) -> dict[str, Any]:
    """``clouds``: distinct prompt key -> embeddings (same texts, same rows); ``types``: prompt type ->
    its distinct prompt keys; ``estimators``: default all registered; ``neighbour_lists``: each cloud's
    neighbour lists if already computed. Returns a JSON-safe dict: the scheme and its settings, what
    the intervals cover, the estimators (name, label, digits), an interval per type and estimator
    (with the variance ratio it used), and the paired difference of every pair of types."""
    chosen = tuple(registered_estimators() if estimators is None else estimators)
    statistics = tuple(est.name for est in chosen)
    result = paired_bootstrap(
        dict(clouds), n_resamples=n_resamples, seed=seed, confidence=confidence, statistics=chosen,
        neighbour_lists=neighbour_lists,
    )
    estimate: dict[str, dict[str, float]] = {}
    halves: dict[str, dict[str, np.ndarray]] = {}
    for prompt_type, keys in types.items():
        estimate[prompt_type] = {s: float(np.mean([result.estimates[k][s].estimate for k in keys])) for s in statistics}
        halves[prompt_type] = {s: np.mean([result.replicates[k][s] for k in keys], axis=0) for s in statistics}

    def interval(value: float, pairs: np.ndarray) -> dict:
        return _split_half_interval(value, pairs, confidence).to_dict()

    names = list(types)
    return {
        "scheme": result.scheme,
        "n_resamples": result.n_resamples,
        "seed": result.seed,
        "confidence": result.confidence,
        "n_points": result.n_points,
        "subsample_size": result.subsample_size,
        "quarter_size": result.quarter_size,
        "covers": covers(result.confidence, result.n_points),
        "statistics": [{"name": est.name, "label": est.label, "digits": est.digits} for est in chosen],
        "prompt_types": {
            t: {s: interval(estimate[t][s], halves[t][s]) for s in statistics} for t in names
        },
        "differences": [
            {
                "a": a,
                "b": b,
                **{s: interval(estimate[a][s] - estimate[b][s], halves[a][s] - halves[b][s]) for s in statistics},
            }
            for i, a in enumerate(names)
            for b in names[i + 1 :]
        ],
    }


def difference(uncertainty: Mapping[str, Any], a: str, b: str, statistic: str) -> dict | None:
    """The paired difference ``a - b`` from a result's ``uncertainty`` (either order)."""
    for entry in uncertainty.get("differences", []):
        if (entry["a"], entry["b"]) == (a, b):
            return entry[statistic]
        if (entry["a"], entry["b"]) == (b, a):
            iv = entry[statistic]
            flip = (lambda v: None if v is None else -v)
            return {**iv, "estimate": flip(iv["estimate"]), "low": flip(iv["high"]), "high": flip(iv["low"])}
    return None


def finding(uncertainty: Mapping[str, Any], a: str, b: str = REFERENCE_TYPE) -> str:
    """E.g. ``"classification vs query: TwoNN ID lower by 3.10 (95% interval for the expectation at m = 1000:
    2.40..3.90); IsoScore lower by ..."``, one part per estimator the result holds."""
    what = covers(uncertainty["confidence"], uncertainty["n_points"])
    parts = []
    # results written before the estimator registry hold TwoNN and IsoScore only
    entries = uncertainty.get("statistics") or [{"name": "twonn", "label": "ID", "digits": 2}, {"name": "isoscore", "label": "IsoScore", "digits": 4}]
    for entry in entries:
        statistic, label, digits = entry["name"], entry["label"], max(int(entry["digits"]), 2)
        iv = difference(uncertainty, a, b, statistic)
        if iv is None or iv["estimate"] is None or iv["low"] is None:
            parts.append(f"{label} difference undefined")
            continue
        word = "lower" if iv["estimate"] < 0 else "higher"
        # abs: a difference of -0.0 reads "0.00", not "-0.00"
        amount, low, high = (abs(iv["estimate"]), -iv["high"], -iv["low"]) if iv["estimate"] < 0 else (abs(iv["estimate"]), iv["low"], iv["high"])
        note = ", includes 0" if low <= 0 <= high else ""
        parts.append(f"{label} {word} by {amount:.{digits}f} ({what}: {low:.{digits}f}..{high:.{digits}f}{note})")
    return f"{TYPE_LABELS.get(a, a)} vs {TYPE_LABELS.get(b, b)}: " + "; ".join(parts)
