"""The gap to Tsukagoshi & Sasano's (2025) figures: how far one measurement choice moves the statistics.

Used by ``benchmarks/reproduce_gap.py`` (docs/reproduction.md). Two pieces:

* :func:`configured_encoder`: the project's encoder of a variant with one setting changed (maximum
  sequence length, precision, or the model's own L2 normalisation removed). The changed setting is
  part of the embedding cache's key (its precision field, or its settings), so its vectors never mix
  with the default ones and a rerun is served from the cache.
* :func:`factor_effects`: TwoNN ID and IsoScore of a configuration against the baseline, with the
  project's paired split-half intervals (``estimators.bootstrap``). Where the two configurations embed
  the same texts (row i is text i in both) the difference is paired; where they do not (another text
  unit, another m) each has its own interval and the difference's half-width is the root sum of
  squares of the two (independent samples). Every interval covers the expectation of the estimate
  at that m, on those texts, not the population value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from mteb_redundancy.estimators.bootstrap import paired_bootstrap

STATISTICS = ("twonn", "isoscore")


def configured_encoder(
    variant: str,
    *,
    precision: str | None = None,
    max_length: int | None = None,
    raw: bool = False,
    cache=None,
    show_progress: bool = True,
):
    """``get_encoder(variant)`` with ``max_length`` tokens per input (longer inputs are truncated) and,
    with ``raw``, without the model's final L2 normalisation (the sentence-transformers backend's
    ``normalize_output = false``). Both are settings of the loaded model, so they are part of the
    embedding cache key (``CacheKey.settings``), and such an encoder is for ``embed`` only (it refuses
    MTEB evaluation, ``variants.ChangedSettingsError``)."""
    from mteb_redundancy.models.variants import get_encoder

    if max_length is not None and (isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 8):
        raise ValueError(f"max_length must be a whole number of tokens (at least 8), got {max_length!r}.")
    return get_encoder(
        variant, cache=cache, show_progress=show_progress, precision=precision, max_seq_length=max_length,
        backend_options={"normalize_output": False} if raw else None,
    )


def _row(interval) -> dict[str, float]:
    return {"estimate": interval.estimate, "low": interval.low, "high": interval.high}


def factor_effects(
    baseline: Mapping[str, np.ndarray],
    other: Mapping[str, np.ndarray],
    *,
    paired: bool,
    n_resamples: int = 200,
    seed: int = 0,
    confidence: float = 0.95,
) -> dict[str, dict[str, Any]]:
    """Per prompt type (the keys of both mappings): each statistic of ``baseline`` and ``other`` with
    its interval, and ``other - baseline`` with its interval.

    ``paired``: the two clouds of a type hold the same texts in the same rows, and the difference's
    interval comes from the same splits of both (``paired_bootstrap``). Otherwise each configuration
    is resampled on its own and the difference's half-widths combine as independent:
    sqrt(h_base^2 + h_other^2) on each side.
    """
    if set(baseline) != set(other):
        raise ValueError(f"Both configurations need the same prompt types; got {sorted(baseline)} and {sorted(other)}.")
    out: dict[str, dict[str, Any]] = {}
    options = {"n_resamples": n_resamples, "seed": seed, "confidence": confidence, "statistics": STATISTICS}
    for prompt_type in baseline:
        A, B = np.asarray(baseline[prompt_type]), np.asarray(other[prompt_type])
        entry: dict[str, Any] = {"m_baseline": len(A), "m": len(B), "paired": paired}
        if paired:
            if A.shape[0] != B.shape[0]:
                raise ValueError(f"Paired configurations must share their rows; got {A.shape[0]} and {B.shape[0]} rows.")
            result = paired_bootstrap({"baseline": A, "other": B}, **options)
            base, alt = result.estimates["baseline"], result.estimates["other"]
            diffs = {s: result.difference("other", "baseline", s) for s in STATISTICS}
            entry["n_distinct"] = result.n_distinct["other"]
            for s in STATISTICS:
                entry[s] = {"baseline": _row(base[s]), "other": _row(alt[s]), "difference": _row(diffs[s])}
        else:
            ra, rb = paired_bootstrap({"baseline": A}, **options), paired_bootstrap({"other": B}, **options)
            entry["n_distinct"] = rb.n_distinct["other"]
            for s in STATISTICS:
                a, b = ra.estimates["baseline"][s], rb.estimates["other"][s]
                d = b.estimate - a.estimate
                below = float(np.hypot(b.estimate - b.low, a.high - a.estimate))
                above = float(np.hypot(b.high - b.estimate, a.estimate - a.low))
                entry[s] = {"baseline": _row(a), "other": _row(b), "difference": {"estimate": d, "low": d - below, "high": d + above}}
        out[prompt_type] = entry
    return out
