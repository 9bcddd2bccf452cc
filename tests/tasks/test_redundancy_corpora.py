"""The robustness corpora (Wikipedia leads and sentences, BBC News, STS-B sentences, Wikipedia short
descriptions): pinned text lists, the sentence rule on a hand-written lead, MTEB's view of each task,
and one Small corpus run end to end through MTEB on all-MiniLM-L6-v2."""

from __future__ import annotations

import json

import pytest
from conftest import MINILM

from mteb_redundancy.models.cache import texts_sha256
from mteb_redundancy_tasks.corpora import (
    CORPORA,
    MAX_TEXTS,
    SMALL_TEXTS,
    TASKS,
    corpus_size,
    corpus_texts,
    get_corpus,
    pinned_texts,
    robustness_corpora,
)
from mteb_redundancy_tasks.displacement import normalized_text
from mteb_redundancy_tasks.sentences import MAX_WORDS, MIN_WORDS, lead_sentences, split_sentences

NEW_TASKS = [
    "RedundancyWikiSentences",
    "RedundancyWikiSentencesSmall",
    "RedundancyBBCNews",
    "RedundancyBBCNewsSmall",
    "RedundancySTSB",
    "RedundancySTSBSmall",
    "RedundancyWikiDescriptions",
    "RedundancyWikiDescriptionsSmall",
]

LEAD = (
    "Dr. Jane Q. Smith (born c. 1950) is a U.S. physicist who works at St. Mary's College in Leeds. "
    "She studied   physics at the University of Oxford! "
    "Why did she move to the U.S. in 1990? "
    "Nobody knows.\n"
    '"Light is a wave, not a particle." She wrote that in 1995. '
    "She measured approx. twelve samples in 3 vols. and then stopped writing entirely. "
    "The constant is defined as , the frequency of the atom. "
    "She lives in the U.S. Her house is close to the sea and the old harbour. "
    "Her " + "very " * 60 + "long sentence ends here. "
    "In 2001 she won a prize for"
)


# --------------------------------------------------------------------------------------------
# the sentence rule
# --------------------------------------------------------------------------------------------
def test_the_sentence_rule_gives_the_documented_sentences_of_a_hand_written_lead():
    assert split_sentences(LEAD) == [
        "Dr. Jane Q. Smith (born c. 1950) is a U.S. physicist who works at St. Mary's College in Leeds.",
        "She studied physics at the University of Oxford!",  # whitespace collapsed
        "Why did she move to the U.S. in 1990?",
        "Nobody knows.",  # the line break ends it
        '"Light is a wave, not a particle."',
        "She wrote that in 1995.",
        "She measured approx. twelve samples in 3 vols. and then stopped writing entirely.",
        "The constant is defined as , the frequency of the atom.",
        # an abbreviation never ends a sentence, so this one runs on into the next
        "She lives in the U.S. Her house is close to the sea and the old harbour.",
        "Her " + "very " * 60 + "long sentence ends here.",
        "In 2001 she won a prize for",
    ]
    assert lead_sentences(LEAD) == [
        "Dr. Jane Q. Smith (born c. 1950) is a U.S. physicist who works at St. Mary's College in Leeds.",
        "She studied physics at the University of Oxford!",
        "Why did she move to the U.S. in 1990?",
        '"Light is a wave, not a particle."',
        "She wrote that in 1995.",
        "She measured approx. twelve samples in 3 vols. and then stopped writing entirely.",
        "She lives in the U.S. Her house is close to the sea and the old harbour.",
    ]  # dropped: under 5 words, over 60 words, a space before a comma, no final full stop


def test_the_sentence_corpus_is_the_rule_applied_to_the_leads_every_time():
    from mteb_redundancy_tasks.corpora import wiki_sentence_candidates

    first, second = wiki_sentence_candidates(), wiki_sentence_candidates()
    assert first == second and len(first) > 30_000
    sentences = corpus_texts("RedundancyWikiSentences")
    assert set(sentences) <= set(first)
    assert all(MIN_WORDS <= len(s.split()) <= MAX_WORDS and lead_sentences(s) == [s] for s in sentences)


# --------------------------------------------------------------------------------------------
# pinned, distinct texts
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("corpus", robustness_corpora(), ids=lambda c: c.name)
def test_each_corpus_hashes_to_its_pinned_sha256_and_its_texts_are_distinct(corpus):
    texts = corpus_texts(corpus.name)
    assert len(texts) == corpus.n_texts == min(MAX_TEXTS, corpus_size(corpus.name))  # as many as the data allows
    assert texts_sha256(texts) == corpus.sha256
    assert texts_sha256(texts[:SMALL_TEXTS]) == corpus.small_sha256
    assert corpus_texts(corpus.small, SMALL_TEXTS) == texts[:SMALL_TEXTS]
    assert all(isinstance(t, str) and t and t == t.strip() for t in texts)
    assert len({normalized_text(t) for t in texts}) == len(texts)


def test_the_corpora_are_listed_with_unit_domain_and_size():
    listed = {c.name: (c.small, c.unit, c.domain, c.n_texts) for c in robustness_corpora()}
    assert list(listed) == ["RedundancyWiki", *NEW_TASKS[::2]]
    assert {name: row[3] for name, row in listed.items()} == {
        "RedundancyWiki": 10_000,
        "RedundancyWikiSentences": 10_000,
        "RedundancyBBCNews": 2_124,  # all the distinct articles
        "RedundancySTSB": 10_000,
        "RedundancyWikiDescriptions": 9_045,  # all the descriptions that occur once
    }
    assert len({(row[1], row[2]) for row in listed.values()}) == len(listed)  # each a unit or domain of its own


def test_the_leads_corpus_is_redundancy_wikis_texts(mteb_module):
    assert mteb_module.get_task("RedundancyWiki").load_texts() == corpus_texts("RedundancyWiki")
    assert mteb_module.get_task("RedundancyWikiSmall").load_texts() == corpus_texts("RedundancyWikiSmall", SMALL_TEXTS)


def test_the_descriptions_corpus_holds_the_displacement_queries():
    from mteb_redundancy_tasks.displacement import wiki_description_queries

    assert set(wiki_description_queries()) <= set(corpus_texts("RedundancyWikiDescriptions"))


# --------------------------------------------------------------------------------------------
# bad input, before any encoding
# --------------------------------------------------------------------------------------------
def test_asking_a_corpus_for_more_texts_than_it_has_is_a_clear_error():
    with pytest.raises(ValueError, match=r"RedundancyBBCNews has 2,124 distinct news article texts; 5,000 were asked"):
        corpus_texts("RedundancyBBCNews", 5_000)
    with pytest.raises(ValueError, match="Did you mean RedundancySTSB"):
        get_corpus("RedundancySTS-B")
    with pytest.raises(ValueError, match="positive integer"):
        corpus_texts("RedundancySTSB", 0)
    with pytest.raises(ValueError, match="not the pinned"):
        pinned_texts("RedundancySTSBSmall", SMALL_TEXTS, CORPORA["RedundancySTSB"].sha256)


def test_a_task_larger_than_its_corpus_fails_before_the_model_sees_a_text(mteb_module, load_variant, tmp_path):
    from mteb_redundancy_tasks.corpora import RedundancyBBCNews

    class RedundancyBBCNewsTooLarge(RedundancyBBCNews):
        metadata = RedundancyBBCNews.metadata.model_copy(update={"name": "RedundancyBBCNewsTooLarge"})
        n_texts = 3_000

    encoder = load_variant(f"{MINILM} (prompt=none)")
    with pytest.raises(ValueError, match="2,124 distinct news article texts; 3,000 were asked"):
        mteb_module.evaluate(encoder, [RedundancyBBCNewsTooLarge()], cache=None, co2_tracker=False, show_progress_bar=False)
    assert encoder.texts_encoded == 0


# --------------------------------------------------------------------------------------------
# MTEB
# --------------------------------------------------------------------------------------------
def test_mteb_finds_each_task_and_its_metadata_and_statistics_describe_its_data(mteb_module):
    from mteb.abstasks._statistics_calculation import calculate_text_statistics

    assert sorted(t.metadata.name for t in TASKS) == sorted(NEW_TASKS)
    for name in NEW_TASKS:
        task = mteb_module.get_task(name)
        corpus = get_corpus(name)
        metadata = task.metadata
        metadata._validate_metadata()
        assert metadata.is_filled() and metadata.type == "Redundancy"
        assert metadata.dataset["revision"] == (corpus.sha256 if name == corpus.name else corpus.small_sha256)
        assert corpus.unit in metadata.description and "Main score" in metadata.description
        task.load_data()
        texts = list(task.dataset["test"]["text"])
        assert metadata.n_samples == {"test": len(texts)}
        assert metadata.descriptive_stats["test"]["text_statistics"] == calculate_text_statistics(texts)
    wiki = [mteb_module.get_task(n).metadata for n in ("RedundancyWikiSentences", "RedundancyWikiDescriptions")]
    assert all(m.license == "cc-by-sa-4.0" and "CC BY-SA 4.0" in m.description for m in wiki)


def test_a_small_corpus_runs_through_mteb_and_its_result_records_the_corpus_revision(mteb_module, load_variant, tmp_path):
    name = "RedundancyWikiDescriptionsSmall"
    encoder = load_variant(f"{MINILM} (prompt=none)")
    result = mteb_module.evaluate(
        encoder, [mteb_module.get_task(name)], cache=mteb_module.ResultCache(tmp_path), co2_tracker=False, show_progress_bar=False
    )
    assert not result.exceptions, result.exceptions
    (path,) = tmp_path.rglob(f"{name}.json")
    stored = json.loads(path.read_text())
    assert stored["dataset_revision"] == CORPORA["RedundancyWikiDescriptions"].small_sha256
    scores = stored["scores"]["test"][0]
    assert scores["n_texts"] == SMALL_TEXTS and scores["n_duplicate_texts_dropped"] == 0
    figures = scores["prompt_types"]["retrieval_query"]
    assert (figures["n_points"], figures["n_dims"]) == (SMALL_TEXTS, 384)
    assert 1 < figures["twonn"] < 384 and 0 < figures["isoscore"] < figures["gaussian_isoscore"]
