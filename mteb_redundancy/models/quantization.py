"""Quantization of (reduced) embeddings: float32, int8 (scalar) and binary (sign). Pure numpy, no MTEB
import. docs/methods.md: quantization.

- ``int8``: per dimension, the range [min, max] of a *calibration set* is cut into 255 equal steps and
  a value x becomes ``floor((x - min) / step) - 128``, clipped to [-128, 127], in float32 arithmetic:
  the formula of MTEB's ``CompressionWrapper`` (``OutputDType.INT8``, which does not clip, as it
  calibrates on the vectors it quantizes) and of sentence-transformers'
  ``quantize_embeddings(..., precision="int8", calibration_embeddings=...)``. MTEB calibrates on the
  vectors of each ``encode`` call (queries apart from documents, train apart from test); here the
  calibration set is the task's fixed, label-free fitting set (the one ``reduction=pca`` fits on),
  reduced the same way, so that every split of a task shares one code book.
- ``binary``: one bit per dimension, ``x > 0`` (MTEB's and sentence-transformers' rule). The bits are
  scored as +1/-1 vectors: their cosine is ``1 - 2 * hamming / d`` and their squared Euclidean
  distance ``4 * hamming``, so MTEB's cosine evaluators rank exactly by Hamming distance. (MTEB's
  ``CompressionWrapper`` returns 0/1, whose cosine is not a function of the Hamming distance.)

Bytes per vector are what storing the codes takes: 4 d (float32), d (int8), ceil(d / 8) (binary,
bits packed as ``numpy.packbits`` packs them).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

QUANTIZATIONS = ("float32", "int8", "binary")
DEFAULT_QUANTIZATION = "float32"
INT8_LEVELS = 256
# The task types whose MTEB evaluators score vectors by a similarity (cosine, dot, Euclidean) or use
# them as features (logistic regression, k-means): a quantized vector is scored there as any vector.
QUANTIZABLE_TASK_TYPES = (
    "Classification",
    "MultilabelClassification",
    "Clustering",
    "PairClassification",
    "Reranking",
    "Retrieval",
    "STS",
    "Summarization",
    "BitextMining",
    "InstructionRetrieval",
    "InstructionReranking",
)


class QuantizationError(ValueError):
    """A quantization that is unknown or does not apply to a task."""


def check_quantization(quantization: str | None) -> str:
    """The quantization's canonical name (``None`` is float32); ``QuantizationError`` for another."""
    name = (quantization or DEFAULT_QUANTIZATION).strip().lower()
    if name not in QUANTIZATIONS:
        raise QuantizationError(f"Unknown quantization {quantization!r}; choose one of {', '.join(QUANTIZATIONS)}.")
    return name


def check_applies(quantization: str | None, task_type: str, task_name: str = "the task") -> None:
    """Raise ``QuantizationError`` when ``quantization`` does not apply to a task of ``task_type``:
    the project's measurement task types (intrinsic dimension, IsoScore, displacement) measure the
    geometry of real-valued vectors, which codes on a grid or the hypercube's corners do not have
    (TwoNN, for one, meets ties: identical binary codes are at distance 0)."""
    name = check_quantization(quantization)
    if name == DEFAULT_QUANTIZATION or task_type in QUANTIZABLE_TASK_TYPES:
        return
    raise QuantizationError(
        f"quantization={name} does not apply to {task_name} (task type {task_type}): quantized vectors are "
        f"scored only where MTEB compares vectors by a similarity or uses them as features "
        f"({', '.join(QUANTIZABLE_TASK_TYPES)}). Use quantization=float32 for it."
    )


def bytes_per_vector(d: int, quantization: str | None = DEFAULT_QUANTIZATION) -> int:
    """Bytes one d-dimensional vector takes: 4 d (float32), d (int8), ceil(d / 8) (binary)."""
    name = check_quantization(quantization)
    if isinstance(d, bool) or int(d) != d or d < 1:
        raise ValueError(f"Dimension must be a whole number of at least 1, got {d!r}.")
    d = int(d)
    return {"float32": 4 * d, "int8": d, "binary": -(-d // 8)}[name]


def int8_codes(X: np.ndarray, mins: np.ndarray, maxs: np.ndarray) -> np.ndarray:
    """``floor((X - mins) / step) - 128`` clipped to [-128, 127], with ``step = (maxs - mins) / 255``
    (a dimension with no range has step 1); as ``np.int8``."""
    # float32 throughout, as MTEB (torch) and sentence-transformers compute it, so codes agree exactly.
    X = np.asarray(X, dtype=np.float32)
    mins = np.asarray(mins, dtype=np.float32)
    steps = (np.asarray(maxs, dtype=np.float32) - mins) / np.float32(INT8_LEVELS - 1)
    steps = np.where(steps > 0, steps, np.float32(1.0)).astype(np.float32)
    codes = np.floor((X - mins) / steps)
    return (np.clip(codes, 0, INT8_LEVELS - 1) - INT8_LEVELS // 2).astype(np.int8)


def binary_bits(X: np.ndarray) -> np.ndarray:
    """One bit per dimension, ``X > 0``, as ``bool``."""
    return np.asarray(X) > 0


def pack_bits(X: np.ndarray) -> np.ndarray:
    """The bits of :func:`binary_bits` packed 8 to a byte (``uint8``, ``ceil(d / 8)`` per row)."""
    return np.packbits(binary_bits(X), axis=-1)


def hamming_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Hamming distances between the bit codes of the rows of ``a`` and ``b`` (all pairs)."""
    bits_a, bits_b = binary_bits(a).astype(np.int64), binary_bits(b).astype(np.int64)
    return bits_a @ (1 - bits_b).T + (1 - bits_a) @ bits_b.T


@dataclass
class Quantizer:
    """Quantize vectors to ``float32`` (unchanged), ``int8`` or ``binary``; ``transform`` returns the
    codes as float32 (int8: the integer codes; binary: +1/-1), the form MTEB's evaluators score.
    ``int8`` is calibrated by :meth:`fit` on a calibration set (per-dimension min and max)."""

    method: str = DEFAULT_QUANTIZATION
    mins_: np.ndarray | None = field(default=None, init=False)
    maxs_: np.ndarray | None = field(default=None, init=False)
    n_calibration_: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self.method = check_quantization(self.method)

    @property
    def is_fitted(self) -> bool:
        return self.method != "int8" or self.mins_ is not None

    def fit(self, X: np.ndarray) -> Quantizer:
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[0] < 1:
            raise ValueError(f"Expected a non-empty 2-D array of calibration embeddings, got shape {X.shape}.")
        if self.method == "int8":
            self.mins_ = X.min(axis=0).astype(np.float32)
            self.maxs_ = X.max(axis=0).astype(np.float32)
            self.n_calibration_ = int(X.shape[0])
        return self

    def codes(self, X: np.ndarray) -> np.ndarray:
        """The stored form: float32, ``np.int8`` codes, or bits packed into bytes."""
        if self.method == "float32":
            return np.asarray(X, dtype=np.float32)
        if self.method == "binary":
            return pack_bits(X)
        if not self.is_fitted:
            raise RuntimeError("Quantizer.fit (calibration) must be called before int8 codes.")
        if X.shape[1] != self.mins_.shape[0]:
            raise ValueError(f"Calibrated for {self.mins_.shape[0]} dimensions, got vectors of {X.shape[1]}.")
        return int8_codes(X, self.mins_, self.maxs_)

    def transform(self, X: np.ndarray) -> np.ndarray:
        """The codes as float32 vectors for scoring."""
        X = np.asarray(X)
        if self.method == "float32":
            return X
        if self.method == "binary":
            return np.where(binary_bits(X), 1.0, -1.0).astype(np.float32)
        return self.codes(X).astype(np.float32)

    def fit_transform(self, X: np.ndarray) -> np.ndarray:
        return self.fit(X).transform(X)
