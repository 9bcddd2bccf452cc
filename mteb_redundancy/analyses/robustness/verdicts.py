"""Verdicts on Tsukagoshi & Sasano's (2025) claims, from paired intervals. Pure: no MTEB import.

The paper's finding (section 3): classification and clustering prompts give a lower intrinsic
dimension and a lower IsoScore than the retrieval-query prompt. Each claim is checked per statistic
on the paired difference ``type - retrieval_query`` (the same texts and the same split-halves for
both types), at one corpus, one estimator and one number of texts m:

* ``holds``: the interval of the difference excludes 0 in the paper's direction;
* ``reversed``: it excludes 0 the other way;
* ``undecided``: it includes 0.

A verdict is about the expectation of the estimate at that m on that corpus (what the split-half
interval covers), not about the population value nor the paper's finding in general.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from mteb_redundancy.analyses.redundancy.uncertainty import REFERENCE_TYPE, TYPE_LABELS, difference

HOLDS, REVERSED, UNDECIDED = "holds", "reversed", "undecided"
VERDICTS = (HOLDS, REVERSED, UNDECIDED)
COVERS = "the expectation of the estimate at this m on this corpus (not the population value)"


@dataclass(frozen=True)
class Claim:
    """``prompt_type``'s statistic lies below (``direction`` -1) or above (+1) ``reference``'s."""

    prompt_type: str
    reference: str = REFERENCE_TYPE
    direction: int = -1

    @property
    def name(self) -> str:
        word = "below" if self.direction < 0 else "above"
        return f"{TYPE_LABELS.get(self.prompt_type, self.prompt_type)} {word} {TYPE_LABELS.get(self.reference, self.reference)}"


CLAIMS = (Claim("classification"), Claim("clustering"))
"""Tsukagoshi & Sasano (2025), section 3: both task prompts lower than the retrieval-query prompt."""


def verdict(low: float, high: float, direction: int) -> str:
    """``holds``, ``reversed`` or ``undecided`` for the interval ``[low, high]`` of a difference whose
    sign the claim predicts (``direction`` -1: below 0, +1: above 0). An interval that touches 0
    includes it."""
    if direction not in (-1, 1):
        raise ValueError(f"direction must be -1 (the claim predicts a negative difference) or +1, got {direction!r}.")
    for name, value in (("low", low), ("high", high)):
        if value is None or not math.isfinite(value):
            raise ValueError(f"The interval's {name} end is {value!r}; a verdict needs a finite interval.")
    if low > high:
        raise ValueError(f"Not an interval: low {low} > high {high}.")
    if high < 0:
        return HOLDS if direction < 0 else REVERSED
    if low > 0:
        return HOLDS if direction > 0 else REVERSED
    return UNDECIDED


@dataclass(frozen=True)
class Verdict:
    """One claim at one (corpus, estimator, m): the paired difference and the verdict on it."""

    claim: str
    prompt_type: str
    reference: str
    estimator: str
    corpus: str
    m: int
    estimate: float
    low: float
    high: float
    confidence: float
    verdict: str
    same_prompts: bool = False  # the style gives both types the same input: the difference is 0 by construction

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "covers": COVERS}


def claim_verdicts(
    uncertainty: Mapping[str, Any],
    *,
    corpus: str,
    estimators: Sequence[str],
    claims: Iterable[Claim] = CLAIMS,
    prompts: Mapping[str, Sequence[str]] | None = None,
) -> list[Verdict]:
    """The verdict of every claim for every estimator from one set of paired intervals (the
    ``uncertainty`` dict of ``analyses.redundancy.uncertainty.type_uncertainty`` at one m).
    ``prompts`` (type -> its distinct prompts) marks claims whose two types share their prompts."""
    m = int(uncertainty["n_points"])
    out = []
    for claim in claims:
        same = bool(prompts) and list(prompts.get(claim.prompt_type, ())) == list(prompts.get(claim.reference, ()))
        for estimator in estimators:
            iv = difference(uncertainty, claim.prompt_type, claim.reference, estimator)
            if iv is None:
                raise ValueError(
                    f"No paired difference {claim.prompt_type} - {claim.reference} for {estimator!r} in these intervals; "
                    f"measure both prompt types with that estimator."
                )
            out.append(
                Verdict(
                    claim=claim.name, prompt_type=claim.prompt_type, reference=claim.reference, estimator=estimator,
                    corpus=corpus, m=m, estimate=iv["estimate"], low=iv["low"], high=iv["high"],
                    confidence=float(uncertainty["confidence"]),
                    verdict=verdict(iv["low"], iv["high"], claim.direction), same_prompts=same,
                )
            )
    return out
