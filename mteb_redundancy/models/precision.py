"""Numeric precision of the encoding: ``float32``, or ``bfloat16`` under autocast (matrix products in
bfloat16, normalisations and reductions in float32).

The choice, strongest first: ``get_encoder(..., precision=...)``, ``ModelSpec.backend_options
["precision"]``, the environment variable ``MTEB_REDUNDANCY_PRECISION``, then ``auto``. ``auto`` is
``DEFAULT_AUTO``'s rule: bfloat16 where the hardware has it natively (a CUDA GPU with bf16, a CPU with
avx512_bf16 or AMX) when ``AUTO_PREFERS_BFLOAT16``, else float32. Precision is part of the embedding
cache key (a field of its own; float32 keys are unchanged) and is recorded in the project's own results.
"""

from __future__ import annotations

import functools
import os

PRECISIONS = ("float32", "bfloat16")
PRECISION_VARIABLE = "MTEB_REDUNDANCY_PRECISION"
# Whether ``auto`` picks bfloat16 on capable hardware: yes, because bfloat16 changes TwoNN ID and
# IsoScore by at most 0.22% (within the 0.5% the project accepts) while encoding about twice as fast
# on a 2-core CPU with avx512_bf16 (benchmarks/results/precision.md).
AUTO_PREFERS_BFLOAT16 = True


@functools.lru_cache(maxsize=1)
def cpu_has_native_bfloat16() -> bool:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            flags = next((line for line in handle if line.startswith("flags")), "")
    except OSError:
        return False
    return any(flag in flags.split() for flag in ("avx512_bf16", "amx_bf16"))


def hardware_has_bfloat16(device: str | None) -> bool:
    if device and device.startswith("cuda"):
        import torch

        return bool(torch.cuda.is_available() and torch.cuda.is_bf16_supported())
    return cpu_has_native_bfloat16()


def resolve_precision(requested: str | None, device: str | None) -> str:
    """The precision to encode in; an unknown value is a ``ValueError`` that lists the choices."""
    # Case-insensitive, as ``precision=`` in a variant name is.
    value = (requested or os.environ.get(PRECISION_VARIABLE, "")).strip().lower() or "auto"
    if value == "auto":
        return "bfloat16" if AUTO_PREFERS_BFLOAT16 and hardware_has_bfloat16(device) else "float32"
    if value not in PRECISIONS:
        source = "precision" if requested else PRECISION_VARIABLE
        raise ValueError(f"{source} must be one of {', '.join(PRECISIONS)} or 'auto'; got {value!r}.")
    return value
