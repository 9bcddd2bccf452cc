"""Variant names: ``<base model id> (prompt=<style>, dim=<d>, reduction=<r>)``.

The MTEB CLI passes no model kwargs, so every (model, prompt style, reduction, d, quantization) the
CLI must reach is its own model name. ``dim`` is left out at full dimension; ``reduction`` when it is
``first`` (and always at full dimension, where every reduction keeps the whole vector);
``quantization`` when it is ``float32`` (``int8`` and ``binary``: ``models.quantization``; the key is
not ``precision``, which is the model's compute dtype, nor MTEB's ``output_dtypes``, whose int8
calibration and binary scoring differ). ``precision`` is left out unless a name asks for one (the
default is the hardware's, ``models.precision``). ``normalize=false`` asks for raw truncation
(``models.reduction.renormalizes``); it is left out otherwise, and at full dimension.

A variant is an MTEB *experiment* of its base model: its ``ModelMeta`` is the base model's, with the
options as ``experiment_kwargs`` (:meth:`VariantName.experiment_kwargs`), and MTEB shows it as
``<base> (<k>=<v>, ...)`` with the keys sorted. Any spelling parses to the same variant: options in
any order, any spacing, explicit defaults (``reduction=first``, ``precision=auto``), ``dim=full``,
MTEB's ``embed_dim`` for ``dim``, and MTEB's sorted-key form.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_VARIANT = re.compile(r"^(?P<base>[^()]+?)\s*\((?P<options>[^()]*)\)$")
OPTION_KEYS = ("prompt", "dim", "reduction", "normalize", "quantization", "precision")
# Other spellings of an option's key: MTEB names a Matryoshka dimension ``embed_dim``.
KEY_ALIASES = {"embed_dim": "dim", "dimension": "dim", "prompt_style": "prompt", "quantisation": "quantization"}
DEFAULT_REDUCTION = "first"
# The precision every result is assumed to have when its name does not say (and that is left out of
# experiment kwargs); ``auto`` means "the hardware's", resolved when the model loads.
DEFAULT_PRECISION = "float32"
DEFAULT_QUANTIZATION = "float32"
# ``normalize=false`` asks for raw truncation; the default (re-normalised where the task's evaluation
# uses the model's cosine similarity) may be spelled out.
NORMALIZE_VALUES = {"false": False, "true": True, "auto": True}
EXPECTED_FORM = (
    "expected '<model id> (prompt=<style>[, dim=<d>][, reduction=<first|random|pca>]"
    "[, normalize=false][, quantization=<float32|int8|binary>][, precision=<p>])'"
)


@dataclass(frozen=True)
class VariantName:
    base: str
    prompt: str
    dim: int | None = None
    reduction: str = DEFAULT_REDUCTION
    precision: str | None = None  # None: the hardware's (``auto``)
    quantization: str | None = None  # None: float32 (no quantization)
    # False: raw truncation, never re-normalised (``models.reduction.renormalizes``).
    normalize: bool = True

    def __post_init__(self) -> None:
        if self.quantization == DEFAULT_QUANTIZATION:
            object.__setattr__(self, "quantization", None)
        if self.dim is None:
            # At full dimension every reduction keeps the whole vector, as the model gave it: one variant.
            object.__setattr__(self, "reduction", DEFAULT_REDUCTION)
            object.__setattr__(self, "normalize", True)

    def __str__(self) -> str:
        options = [f"prompt={self.prompt}"]
        if self.dim is not None:
            options.append(f"dim={self.dim}")
            if self.reduction != DEFAULT_REDUCTION:
                options.append(f"reduction={self.reduction}")
            if not self.normalize:
                options.append("normalize=false")
        if self.quantization is not None:
            options.append(f"quantization={self.quantization}")
        if self.precision is not None:
            options.append(f"precision={self.precision}")
        return f"{self.base} ({', '.join(options)})"

    def experiment_kwargs(self, precision: str | None = None) -> dict[str, Any]:
        """MTEB ``experiment_kwargs`` of this variant: what differs from the base model's own run.
        ``precision`` is the precision the encoder actually runs in (it overrides the name's); the
        default precision (float32) is left out, as ``reduction=first`` is."""
        kwargs: dict[str, Any] = {"prompt": self.prompt}
        if self.dim is not None:
            kwargs["dim"] = self.dim
            if self.reduction != DEFAULT_REDUCTION:
                kwargs["reduction"] = self.reduction
            if not self.normalize:
                kwargs["normalize"] = False
        if self.quantization is not None:
            kwargs["quantization"] = self.quantization
        precision = precision or self.precision
        if precision is not None and precision != DEFAULT_PRECISION:
            kwargs["precision"] = precision
        return kwargs

    @classmethod
    def from_experiment(cls, base: str, experiment_kwargs: Mapping[str, Any]) -> VariantName:
        """The variant an MTEB experiment of ``base`` stands for; ``ValueError`` if its kwargs are not
        a variant's."""
        options = {str(key): str(value) for key, value in experiment_kwargs.items()}
        return _from_options(f"{base} {experiment_kwargs!r}", base, options)


def _normalize(name: str) -> str:
    return " ".join(str(name).split())


def split_variant_name(name: str) -> tuple[str, dict[str, str]] | None:
    """``(base, {key: value})`` for anything of the form ``<base> (<key>=<value>, ...)`` (keys
    lower-cased and un-aliased, spaces normalized), else ``None``. Raises ``ValueError`` for an option
    that is not ``key=value`` or a key given twice with two values."""
    match = _VARIANT.match(_normalize(name))
    if not match:
        problem = _form_problem(_normalize(name))
        if problem:
            raise ValueError(f"{name!r} {problem}; {EXPECTED_FORM}.")
        return None
    options: dict[str, str] = {}
    text = match["options"].strip()
    for part in text.split(",") if text else []:
        key, sep, value = part.strip().partition("=")
        key, value = key.strip().lower(), value.strip()
        if not sep or not key or not value:
            raise ValueError(f"{name!r}: option {part.strip()!r} is not key=value; {EXPECTED_FORM}.")
        key = KEY_ALIASES.get(key, key)
        if key in options:  # even with the same value: a repeat is a mistake somewhere
            raise ValueError(f"{name!r}: option {key!r} is given twice ({options[key]!r} and {value!r}); give it once.")
        options[key] = value
    return match["base"].strip(), options


def _form_problem(name: str) -> str | None:
    """What keeps a name with parentheses from being ``<base> (<options>)``; ``None`` for a name
    without any (a plain model id)."""
    if "(" not in name and ")" not in name:
        return None
    if name.count("(") != name.count(")"):
        return "has an unclosed '('" if name.count("(") > name.count(")") else "has a ')' without its '('"
    if name.count("(") > 1:
        return "has more than one pair of parentheses"
    if name.index(")") < name.index("("):
        return "has ')' before '('"
    trailing = name[name.index(")") + 1 :].strip()
    if trailing:
        return f"has text after the closing ')': {trailing[:40]!r}"
    return "has no model id before '('"


def repaired_form(name: str) -> str:
    """``name`` with its parentheses made whole (text after ``)`` dropped, a missing ``)`` added): what
    close names are searched for when a name is malformed."""
    name = _normalize(name)
    if "(" not in name:
        return name
    base, _, rest = name.partition("(")
    options = rest.split(")")[0].replace("(", "")
    return f"{base.strip()} ({options.strip()})"


def looks_like_variant(name: str) -> bool:
    """Whether ``name`` is meant as a variant name: ``<base> (...)`` with a ``prompt`` option."""
    if not isinstance(name, str):
        return False
    try:
        parts = split_variant_name(name)
    except ValueError:
        return "prompt" in name.lower()
    return parts is not None and "prompt" in parts[1]


def _from_options(name: str, base: str, options: Mapping[str, str]) -> VariantName:
    unknown = sorted(set(options) - set(OPTION_KEYS))
    if unknown or "prompt" not in options:
        raise ValueError(f"{name!r}: unknown or missing options {unknown or ['prompt']}; {EXPECTED_FORM}.")
    dim_text = options.get("dim")
    dim: int | None = None
    if dim_text is not None and dim_text.lower() != "full":
        # ASCII digits only ("²".isdigit() is true), and few of them (int() refuses 4,300 digits).
        if not (dim_text.isascii() and dim_text.isdigit()) or len(dim_text) > 9:
            shown = dim_text if len(dim_text) <= 20 else f"{dim_text[:20]}... ({len(dim_text)} characters)"
            raise ValueError(f"{name!r}: dim must be a whole number below 10^9 or 'full', got {shown!r}.")
        dim = int(dim_text)
    precision = options.get("precision")
    if precision is not None and precision.lower() == "auto":
        precision = None
    quantization = options.get("quantization")
    normalize = options.get("normalize", "true").lower()
    if normalize not in NORMALIZE_VALUES:
        raise ValueError(f"{name!r}: normalize must be false (raw truncation) or true/auto (the default), got {normalize!r}.")
    return VariantName(
        base=base,
        prompt=options["prompt"],
        dim=dim,
        reduction=options.get("reduction", DEFAULT_REDUCTION).lower(),
        precision=precision.lower() if precision else None,
        quantization=quantization.lower() if quantization else None,
        normalize=NORMALIZE_VALUES[normalize],
    )


def parse_variant_name(name: str) -> VariantName:
    """Parse a variant name in any spelling; raises ``ValueError`` saying what form is expected.

    ``dim`` is ``None`` when the name leaves it out or says ``full``; a ``dim`` equal to the model's
    own dimension is made ``None`` where the model is known (``variants.resolve_variant``)."""
    parts = split_variant_name(name)
    if parts is None:
        raise ValueError(f"{name!r} is not a variant name: {EXPECTED_FORM}.")
    base, options = parts
    return _from_options(name, base, options)
