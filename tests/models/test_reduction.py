"""Dimension reduction (docs/methods.md: dimension reduction). Pure numpy."""

import numpy as np
import pytest

from mteb_redundancy.models.reduction import Reducer, check_dimension, dimension_grid


@pytest.fixture
def X():
    rng = np.random.default_rng(0)
    return (rng.normal(size=(300, 48)) * np.linspace(3, 0.1, 48)).astype(np.float32)


def test_first_d_equals_slicing_then_normalizing(X):
    expected = X[:, :16] / np.linalg.norm(X[:, :16], axis=1, keepdims=True)
    np.testing.assert_allclose(Reducer("first", 16).fit_transform(X), expected, rtol=1e-6)
    np.testing.assert_array_equal(Reducer("first", 16, normalize=False).fit_transform(X), X[:, :16])


def test_random_d_is_reproducible_with_its_seed_and_changes_with_another(X):
    a = Reducer("random", 8, seed=3).fit(X)
    b = Reducer("random", 8, seed=3).fit(X)
    c = Reducer("random", 8, seed=4).fit(X)
    np.testing.assert_array_equal(a.indices_, b.indices_)
    assert not np.array_equal(a.indices_, c.indices_)
    assert len(set(a.indices_)) == 8


def test_pca_components_come_in_order_of_variance(X):
    reducer = Reducer("pca", 10, normalize=False).fit(X)
    projected = reducer.transform(X)
    variances = projected.var(axis=0)
    assert np.all(np.diff(variances) <= 1e-6)
    np.testing.assert_allclose(variances, reducer.explained_variance_ * (len(X) - 1) / len(X), rtol=1e-4)
    # the top components carry more variance than any d raw coordinates do
    assert variances.sum() >= np.sort(X.var(axis=0))[::-1][:10].sum() - 1e-6


def test_too_large_or_too_small_d_names_the_dimension(X):
    with pytest.raises(ValueError, match="embedding dimension 48"):
        Reducer("first", 64).fit(X)
    with pytest.raises(ValueError, match="at least 1"):
        check_dimension(0, 48)


def test_grid_is_powers_of_two_then_full():
    assert dimension_grid(384) == [2, 4, 8, 16, 32, 64, 128, 256, 384]
    assert dimension_grid(384, [100]) == [2, 4, 8, 16, 32, 64, 100, 128, 256, 384]


@pytest.mark.parametrize(
    "task_type, expected",
    [
        ("Classification", False),  # logistic regression on the vectors
        ("MultilabelClassification", False),  # k-nearest neighbours
        ("Regression", False),
        ("Clustering", False),  # k-means
        ("Retrieval", True),  # the model's cosine similarity
        ("Reranking", True),
        ("STS", True),
        ("PairClassification", True),
        ("Summarization", True),
        ("BitextMining", True),
        ("Any2AnyRetrieval", True),
        ("InstructionDisplacement", True),
        (None, True),
    ],
)
def test_reduced_vectors_are_renormalised_only_where_the_task_scores_by_cosine(task_type, expected):
    from mteb_redundancy.models.reduction import renormalizes

    assert renormalizes(task_type, "cosine") is expected
    assert renormalizes(task_type, "dot") is False  # a dot-product model's lengths carry its scores
    assert renormalizes(task_type, "cosine", normalize=False) is False  # raw truncation, a variant option
