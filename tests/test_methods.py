"""Methods as the papers define them: the papers' models, a PCA reduction fitted on a fixed, large,
label-free set of each task's texts, scale-free displacement with a Base-fitted PCA, an order-free
map, one averaging rule in redundancy results, INSTRUCTOR documents with instructions, and the
source of every instruction recorded."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import MINILM


# --------------------------------------------------------------------------------------------
# 1. the papers' models
# --------------------------------------------------------------------------------------------
def test_the_eight_models_of_tsukagoshi_and_sasanos_table_4_are_registered():
    from mteb_redundancy.default_plugins.models import PAPER_MODELS
    from mteb_redundancy.plugins import get_registry

    table_4 = {
        "Alibaba-NLP/gte-Qwen2-7B-instruct": 3584,
        "intfloat/e5-mistral-7b-instruct": 4096,
        "Salesforce/SFR-Embedding-2_R": 4096,
        "intfloat/multilingual-e5-large-instruct": 1024,
        "nomic-ai/nomic-embed-text-v1.5": 768,
        "intfloat/e5-small-v2": 384,
        "intfloat/e5-large-v2": 1024,
        "princeton-nlp/unsup-simcse-bert-large-uncased": 1024,
    }
    assert {spec.model_id: spec.embed_dim for spec in PAPER_MODELS} == table_4
    registered = get_registry().models
    assert all(model in registered for model in table_4)


# --------------------------------------------------------------------------------------------
# 2. reduction=pca: fitted on the task's own texts, never on the few-shot sample
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def two_label_task(mteb_module):
    from datasets import Dataset, DatasetDict
    from mteb.abstasks.classification import AbsTaskClassification
    from mteb.abstasks.task_metadata import TaskMetadata
    from mteb_redundancy_tasks.classification import WIKI_COMMON, WIKI_DATASET
    from mteb_redundancy_tasks.data import wiki_leads

    from mteb_redundancy.mteb_bridge.registries import add_tasks

    class TwoTopicsFewShot(AbsTaskClassification):
        metadata = TaskMetadata(
            name="TwoTopicsFewShot", description="Two topics, MTEB's few-shot protocol (8 per label).",
            dataset=WIKI_DATASET, type="Classification", category="t2c", main_score="accuracy", eval_splits=["test"],
            **WIKI_COMMON,
        )
        samples_per_label = 8
        n_experiments = 2

        def load_data(self, num_proc=None, **kwargs):
            topics = ["Mathematics", "Geography"]
            rows = {t: [lead.text for lead in wiki_leads() if lead.topic == t][:200] for t in topics}

            def split(a, b):
                return Dataset.from_dict({
                    "text": [x for t in topics for x in rows[t][a:b]],
                    "label": [i for i, t in enumerate(topics) for _ in rows[t][a:b]],
                })

            self.dataset = DatasetDict({"train": split(0, 60), "test": split(60, 200)})
            self.data_loaded = True

    add_tasks({"TwoTopicsFewShot": TwoTopicsFewShot}, {"TwoTopicsFewShot": "tests"})
    return TwoTopicsFewShot


def test_pca_to_256_dims_on_a_two_label_few_shot_task(mteb_module, two_label_task, load_variant, tmp_path):
    from mteb_redundancy.mteb_bridge.fitting import pca_fitting_set

    encoder = load_variant(f"{MINILM} (prompt=none, dim=256, reduction=pca)")
    result = mteb_module.evaluate(
        encoder, two_label_task(), cache=None, show_progress_bar=False, co2_tracker=False, overwrite_strategy="always"
    )
    assert not result.exceptions, result.exceptions
    assert 0.5 < result.task_results[0].get_score() <= 1.0
    # fitted on every text of the evaluation split (280 > 256), not on the 16 to 32 training texts
    fit = encoder.pca_fits[("TwoTopicsFewShot", "default")]
    assert "280 distinct texts" in fit["fitting_set"]
    fitting = pca_fitting_set("TwoTopicsFewShot")
    assert len(fitting.texts) == 280 and fitting.side is None


@pytest.fixture(scope="module")
def small_retrieval(mteb_module):
    from mteb_redundancy_tasks.retrieval import WikiRetrieval

    from mteb_redundancy.mteb_bridge.registries import add_tasks

    class WikiRetrievalSmall(WikiRetrieval):
        metadata = WikiRetrieval.metadata.model_copy(update={"name": "WikiRetrievalSmall"})

        def load_data(self, num_proc=None, **kwargs):
            super().load_data()
            split = self.dataset["default"]["test"]
            corpus = split["corpus"].select(range(200))
            kept = set(corpus["id"])
            relevant = {q: docs for q, docs in split["relevant_docs"].items() if set(docs) <= kept}
            split.update(corpus=corpus, relevant_docs=relevant, queries=split["queries"].filter(lambda row: row["id"] in relevant))

    add_tasks({"WikiRetrievalSmall": WikiRetrievalSmall}, {"WikiRetrievalSmall": "tests"})
    return WikiRetrievalSmall


def test_retrieval_pca_is_fitted_on_the_corpus_whatever_is_encoded_first(mteb_module, small_retrieval, load_variant):
    from mteb_redundancy.models.reduction import Reducer
    from mteb_redundancy.mteb_bridge.fitting import pca_fitting_set

    fitting = pca_fitting_set("WikiRetrievalSmall")
    assert fitting.side == "document" and len(fitting.texts) == 200
    encoder = load_variant(f"{MINILM} (prompt=prefix, dim=8, reduction=pca)")
    result = mteb_module.evaluate(encoder, small_retrieval(), cache=None, show_progress_bar=False, co2_tracker=False)
    assert not result.exceptions, result.exceptions
    corpus = encoder.embed(fitting.texts, encoder.prompt_for("WikiRetrievalSmall", "Retrieval", "document"))
    expected = Reducer("pca", 8).fit(corpus)
    assert np.allclose(encoder._reducers[("WikiRetrievalSmall", "default")].components_, expected.components_)
    assert "the corpus (documents)" in encoder.pca_fits[("WikiRetrievalSmall", "default")]["fitting_set"]


def test_a_fitting_set_too_small_for_d_is_a_clear_error(mteb_module, two_label_task, load_variant):
    encoder = load_variant(f"{MINILM} (prompt=none, dim=300, reduction=pca)")
    with pytest.raises(ValueError, match="needs more than 300 distinct texts"):
        encoder.fit_pca_for_task(two_label_task.metadata, "default")


# --------------------------------------------------------------------------------------------
# 3-5. the displacement map: scale-free, Base-fitted, order-free
# --------------------------------------------------------------------------------------------
def conditions_of(rng, base, n_conditions=4, strength=0.3):
    out = {"Base": base}
    for i in range(n_conditions):
        out[f"C{i}"] = base + strength * rng.standard_normal(base.shape)
    return out


@pytest.fixture
def three_models():
    rng = np.random.default_rng(7)
    latent = rng.standard_normal((60, 5))
    a = conditions_of(rng, latent @ rng.standard_normal((5, 48)) + 0.1 * rng.standard_normal((60, 48)))
    b = conditions_of(rng, latent @ rng.standard_normal((5, 32)) + 0.1 * rng.standard_normal((60, 32)), strength=0.6)
    c = conditions_of(rng, rng.standard_normal((60, 40)))
    return {"A": a, "B": b, "C": c}


def test_a_rotated_and_scaled_copy_is_at_distance_zero(three_models):
    from mteb_redundancy.analyses.displacement.map import build_displacement_map

    rotation, _ = np.linalg.qr(np.random.default_rng(1).standard_normal((48, 48)))
    copy = {c: 2.5 * X @ rotation for c, X in three_models["A"].items()}
    result = build_displacement_map({**three_models, "A scaled": copy}, k=20)
    i, j = result.models.index("A scaled"), result.models.index("A")
    assert result.distances[i, j] == pytest.approx(0.0, abs=1e-10)
    assert result.distances[j, i] == pytest.approx(0.0, abs=1e-10)
    assert result.row_normalization == "l2"


def test_identical_base_embeddings_give_distance_zero_and_one_base_point(three_models):
    from mteb_redundancy.analyses.displacement.map import build_displacement_map

    rng = np.random.default_rng(3)
    base = three_models["A"]["Base"]
    variants = {f"V{i}": conditions_of(rng, base.copy(), strength=0.2 + 0.3 * i) for i in range(3)}
    result = build_displacement_map({**variants, "B": three_models["B"]}, k=20)
    names = [f"V{i}" for i in range(3)]
    index = [result.models.index(n) for n in names]
    assert np.allclose(result.distances[np.ix_(index, index)], 0.0, atol=1e-10)
    points = {label: xy for label, xy in zip(result.points, result.coords)}
    bases = np.array([points[(n, "Base")] for n in names])
    assert np.allclose(bases, bases[0], atol=1e-6)
    assert result.pca_fit == "base"
    # the option that fits on all conditions does let the instructions move the Base alignment
    mixed = build_displacement_map({**variants, "B": three_models["B"]}, k=20, pca_fit="all")
    assert mixed.distances[index[0], index[2]] > 1e-4


def test_the_map_does_not_depend_on_the_order_of_the_models(three_models):
    from mteb_redundancy.analyses.displacement.map import build_displacement_map

    forward = build_displacement_map(three_models, k=20)
    backward = build_displacement_map(dict(reversed(list(three_models.items()))), k=20)
    assert backward.models == list(reversed(forward.models))
    coords_forward = dict(zip(forward.points, forward.coords))
    coords_backward = dict(zip(backward.points, backward.coords))
    for label, xy in coords_forward.items():
        assert np.allclose(coords_backward[label], xy, atol=1e-9), label
    assert forward.reference == backward.reference


def test_one_models_displacement_is_scale_free(three_models):
    from mteb_redundancy.analyses.displacement.measure import measure_displacement

    model = three_models["A"]
    scaled = {c: 3.0 * X for c, X in model.items()}
    a = measure_displacement(model, base_condition="Base", k=20).to_scores()
    b = measure_displacement(scaled, base_condition="Base", k=20).to_scores()
    assert a["C0_centroid_shift"] == pytest.approx(b["C0_centroid_shift"])
    assert a["C0_pca_centroid_shift"] == pytest.approx(b["C0_pca_centroid_shift"])
    assert a["pca_fit"] == "base"


# --------------------------------------------------------------------------------------------
# 6. redundancy: one averaging rule, one normalisation rule
# --------------------------------------------------------------------------------------------
def test_the_full_dimension_point_of_a_pca_curve_is_reduced_like_the_others():
    from mteb_redundancy.analyses.redundancy.measure import (
        measure,
        measure_by_dimension,
    )
    from mteb_redundancy.models.reduction import Reducer

    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 6)) @ rng.standard_normal((6, 24)) + 3.0
    curve = measure_by_dimension(X, [8, 24], reduction="pca", normalize=True)
    full = measure(Reducer("pca", 24, normalize=True).fit_transform(X))
    assert curve[-1]["isoscore"] == pytest.approx(full.isoscore)
    assert curve[-1]["isoscore"] != pytest.approx(measure(X).isoscore)


def test_headline_and_curve_average_the_same_distinct_instructions(mteb_module, load_variant):
    from mteb_redundancy_tasks.redundancy import RedundancyWikiSmall

    from mteb_redundancy.analyses.redundancy.task_type import AbsTaskRedundancy

    class Tiny(RedundancyWikiSmall):
        n_texts = 40  # the first 40 of the session's Redundancy leads
        prompt_types = ("retrieval_query", "none")

    encoder = load_variant(f"{MINILM} (prompt=instruction)")
    texts = Tiny().load_texts()
    scores = AbsTaskRedundancy.measure(Tiny(), encoder, texts, batch_size=32, hf_subset="default")
    query = scores["prompt_types"]["retrieval_query"]
    # NQ and MIRACL share an instruction: 6 tasks, 5 distinct prompts
    assert len(query["per_instruction"]) == 6
    assert len({p["prompt"] for p in query["per_instruction"]}) == 5
    distinct = {p["prompt"]: p["twonn"] for p in query["per_instruction"]}
    assert query["twonn"] == pytest.approx(np.mean(list(distinct.values())))
    assert query["by_dimension"][-1]["twonn"] == pytest.approx(query["twonn"], rel=1e-4)


# --------------------------------------------------------------------------------------------
# 7-8. INSTRUCTOR documents; where instructions come from; nomic on reranking
# --------------------------------------------------------------------------------------------
def test_instructor_documents_carry_an_instruction():
    from mteb_redundancy.models.prompts import resolve_prompt

    document = resolve_prompt("instructor", task_name="NQHardNegatives", task_type="Retrieval", side="document")
    assert document.apply("a passage") == "Represent the Wikipedia document for retrieval: a passage"
    assert document.pool_text_only and document.source == "Su et al. (2023)"
    other = resolve_prompt("instructor", task_name="SomeRetrieval", task_type="Retrieval", side="document")
    assert other.prefix == "Represent the document for retrieval: "
    # the instruction style keeps documents bare (Tsukagoshi & Sasano, appendix B)
    assert resolve_prompt("instruction", task_name="NQHardNegatives", task_type="Retrieval", side="document").prefix == ""


def test_the_source_of_each_instruction_is_known():
    from mteb_redundancy.models.prompts import resolve_prompt
    from mteb_redundancy.models.styles import SOURCE_KIND, SOURCE_MTEB, SOURCE_PAPER

    assert resolve_prompt("instruction", task_name="ImdbClassification", task_type="Classification", side=None).source == SOURCE_PAPER
    mteb_prompt = resolve_prompt(
        "instruction", task_name="Banking77Classification", task_type="Classification", side=None,
        task_prompt="Given an online banking query, find the corresponding intents",
    )
    assert mteb_prompt.source == SOURCE_MTEB and "online banking query" in mteb_prompt.prefix
    fallback = resolve_prompt("instruction", task_name="SomeNewClassification", task_type="Classification", side=None)
    assert fallback.source == SOURCE_KIND


def test_nomic_uses_the_classification_prefix_on_both_sides_of_reranking_as_mtebs_wrapper():
    from mteb_redundancy.default_plugins.models import NOMIC_PREFIXES
    from mteb_redundancy.models.prompts import resolve_prompt

    for side in ("query", "document"):
        prompt = resolve_prompt("prefix", task_name="SciDocsRR", task_type="Reranking", side=side, prefixes=NOMIC_PREFIXES)
        assert prompt.prefix == "classification: "
    retrieval = resolve_prompt("prefix", task_name="NQ", task_type="Retrieval", side="document", prefixes=NOMIC_PREFIXES)
    assert retrieval.prefix == "search_document: "
