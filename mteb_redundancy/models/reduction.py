"""Dimension reduction of full embeddings (first d, random d, PCA d). Pure numpy, no MTEB import.

A ``Reducer`` is fitted once (``first`` and ``random`` need only the full dimension; ``pca`` needs
the corpus) and then applied to every batch, so train and test splits share one projection.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from mteb_redundancy.estimators.pca import pca_reduce

REDUCTIONS = ("first", "random", "pca")
DEFAULT_RANDOM_SEED = 0


def check_dimension(d: int, full_dim: int, model_name: str = "the model") -> int:
    """Validate a requested dimension against the model's, with an error that names both."""
    if isinstance(d, bool) or not isinstance(d, (int, np.integer)):
        raise TypeError(f"Dimension must be a whole number, got {d!r}.")
    if d < 1:
        raise ValueError(f"Dimension must be at least 1, got {d}.")
    if full_dim is not None and d > full_dim:
        raise ValueError(
            f"Dimension {d} is larger than {model_name}'s embedding dimension {full_dim}; "
            f"choose d between 1 and {full_dim}."
        )
    return int(d)


def dimension_grid(full_dim: int, extra: tuple[int, ...] | list[int] = ()) -> list[int]:
    """2, 4, 8, ... below ``full_dim``, then ``full_dim`` itself, plus any extra dims (sorted, unique)."""
    grid = {2**k for k in range(1, 64) if 2**k < full_dim}
    grid.add(full_dim)
    grid.update(check_dimension(d, full_dim) for d in extra)
    return sorted(grid)


# MTEB task types whose evaluator fits a model on the vectors themselves (logistic regression,
# k-nearest neighbours, linear regression, k-means: Euclidean geometry) instead of comparing them with
# the model's similarity. A reduced vector reaches them as truncated, never re-normalised, as
# Tsukagoshi & Sasano (2025) truncate. Every other task type (retrieval, reranking, STS, pair
# classification, summarization, bitext mining, zero-shot classification, and the project's
# instruction displacement) scores by the model's similarity, so a cosine model's reduced vectors are
# re-normalised there (which leaves cosine scores as they are, and puts the vectors back on the sphere
# the other distances and an int8 calibration see).
RAW_TRUNCATION_TASK_TYPES = frozenset({
    "Classification",  # logistic regression
    "MultilabelClassification",  # k-nearest neighbours (Euclidean)
    "Regression",  # linear regression
    "Clustering",  # mini-batch k-means
    "ImageClassification",
    "ImageClustering",
    "AudioClassification",
    "AudioMultilabelClassification",
    "AudioClustering",
    "VideoClassification",
    "VideoMultilabelClassification",
    "VideoClustering",
})


def renormalizes(task_type: str | None, similarity: str, normalize: bool = True) -> bool:
    """Whether reduced vectors are re-normalised for a task of ``task_type`` (``None``: a caller that
    names no task, which gets the model's similarity): only for a cosine model, only where the task
    scores by that similarity, and never under ``normalize=False`` (raw truncation, a variant option)."""
    return normalize and similarity == "cosine" and task_type not in RAW_TRUNCATION_TASK_TYPES


def l2_normalize(X: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    return X / np.where(norms == 0, 1.0, norms)


@dataclass
class Reducer:
    """Keep ``d`` of the embedding's coordinates (``first``, ``random``) or its top ``d`` principal
    components (``pca``); re-normalize afterwards with ``normalize`` (for a task, see :func:`renormalizes`).
    """

    method: str
    d: int
    normalize: bool = True
    seed: int = DEFAULT_RANDOM_SEED
    indices_: np.ndarray | None = field(default=None, init=False)
    mean_: np.ndarray | None = field(default=None, init=False)
    components_: np.ndarray | None = field(default=None, init=False)
    explained_variance_: np.ndarray | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        if self.method not in REDUCTIONS:
            raise ValueError(f"Unknown reduction {self.method!r}; choose one of {', '.join(REDUCTIONS)}.")
        check_dimension(self.d, None)

    @property
    def is_fitted(self) -> bool:
        return self.indices_ is not None or self.components_ is not None

    def fit(self, X: np.ndarray) -> Reducer:
        X = np.asarray(X)
        if X.ndim != 2:
            raise ValueError(f"Expected a 2-D array of embeddings, got shape {X.shape}.")
        full_dim = X.shape[1]
        check_dimension(self.d, full_dim)
        if self.method == "first":
            self.indices_ = np.arange(self.d)
        elif self.method == "random":
            rng = np.random.default_rng(self.seed)
            self.indices_ = np.sort(rng.choice(full_dim, size=self.d, replace=False))
        else:
            fitted = pca_reduce(X, k=self.d)
            if fitted.k < self.d:
                raise ValueError(
                    f"PCA to {self.d} dims needs at least {self.d + 1} embeddings to fit on, got {X.shape[0]}."
                )
            self.mean_ = fitted.mean
            self.components_ = fitted.components
            self.explained_variance_ = fitted.explained_variance
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        if not self.is_fitted:
            raise RuntimeError("Reducer.fit must be called before transform.")
        X = np.asarray(X)
        if self.components_ is not None:
            reduced = ((X.astype(np.float64) - self.mean_) @ self.components_.T).astype(X.dtype, copy=False)
        else:
            reduced = X[:, self.indices_]
        return l2_normalize(reduced) if self.normalize else np.ascontiguousarray(reduced)

    def fit_transform(self, X: np.ndarray) -> np.ndarray:
        return self.fit(X).transform(X)
