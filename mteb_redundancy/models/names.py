"""Variant names: ``<base model id> (prompt=<style>, dim=<d>, reduction=<r>)``.

The MTEB CLI passes no model kwargs, so every (model, prompt style, reduction, d) the CLI must reach
is its own model name. ``dim`` is left out at full dimension; ``reduction`` when it is ``first``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_VARIANT = re.compile(r"^(?P<base>.+?) \((?P<options>[^()]*)\)$")


@dataclass(frozen=True)
class VariantName:
    base: str
    prompt: str
    dim: int | None = None
    reduction: str = "first"

    def __str__(self) -> str:
        options = [f"prompt={self.prompt}"]
        if self.dim is not None:
            options.append(f"dim={self.dim}")
            if self.reduction != "first":
                options.append(f"reduction={self.reduction}")
        return f"{self.base} ({', '.join(options)})"


def looks_like_variant(name: str) -> bool:
    return bool(_VARIANT.match(name)) and "prompt=" in name


def parse_variant_name(name: str) -> VariantName:
    """Parse a variant name; raises ``ValueError`` saying what form is expected."""
    expected = "expected '<model id> (prompt=<style>[, dim=<d>][, reduction=<first|random|pca>])'"
    match = _VARIANT.match(name.strip())
    if not match:
        raise ValueError(f"{name!r} is not a variant name: {expected}.")
    options: dict[str, str] = {}
    for part in match["options"].split(","):
        key, sep, value = part.strip().partition("=")
        if not sep or not value.strip():
            raise ValueError(f"{name!r}: option {part.strip()!r} is not key=value; {expected}.")
        options[key.strip()] = value.strip()
    unknown = set(options) - {"prompt", "dim", "reduction"}
    if unknown or "prompt" not in options:
        raise ValueError(f"{name!r}: unknown or missing options {sorted(unknown) or ['prompt']}; {expected}.")
    dim = options.get("dim")
    if dim is not None and not dim.isdigit():
        raise ValueError(f"{name!r}: dim must be a whole number, got {dim!r}.")
    return VariantName(
        base=match["base"].strip(),
        prompt=options["prompt"],
        dim=int(dim) if dim is not None else None,
        reduction=options.get("reduction", "first"),
    )
