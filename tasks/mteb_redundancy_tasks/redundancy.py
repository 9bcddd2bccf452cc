"""Redundancy of embeddings on 10,000 English Wikipedia leads (Tsukagoshi & Sasano (2025) section 3), and a small variant."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import numpy as np

from mteb_redundancy.analyses.redundancy.measure import deduplicate_texts
from mteb_redundancy.analyses.redundancy.task_type import (
    AbsTaskRedundancy,
    RedundancyMetadata,
)
from mteb_redundancy_tasks.classification import WIKI_COMMON, WIKI_DATASET
from mteb_redundancy_tasks.data import WIKI_ATTRIBUTION, wiki_leads
from mteb_redundancy_tasks.metadata import offline_metadata

SAMPLE_SEED = 0


def wiki_sample(n: int) -> list[str]:
    """``n`` distinct leads: the first ``n`` of one seeded permutation, so the small sample is part of the large."""
    texts, _ = deduplicate_texts([lead.text for lead in wiki_leads()])
    if n > len(texts):
        raise ValueError(f"Only {len(texts)} distinct leads; asked for {n}.")
    order = np.random.default_rng(SAMPLE_SEED).permutation(len(texts))
    return [texts[i] for i in order[:n]]


def _metadata(name: str, n: int, description: str) -> RedundancyMetadata:
    common = {k: v for k, v in WIKI_COMMON.items() if k != "task_subtypes"}
    return offline_metadata(
        RedundancyMetadata,
        name=name,
        description=(
            f"{description} TwoNN intrinsic dimension and IsoScore of {n:,} English Wikipedia leads (deduplicated, "
            f"a seeded sample) embedded under each prompt type: retrieval query, retrieval document, classification, "
            f"clustering, none. Main score: TwoNN ID under the retrieval-query prompt (a measurement, not higher-is-better). "
            + WIKI_ATTRIBUTION
        ),
        dataset=WIKI_DATASET,
        type="Redundancy",
        category="t2t",
        eval_splits=["test"],
        main_score="main_score",
        task_subtypes=[],
        **common,
    )


class RedundancyWiki(AbsTaskRedundancy):
    metadata = _metadata("RedundancyWiki", 10_000, "Tsukagoshi & Sasano's corpus size.")
    n_texts = 10_000

    def load_texts(self) -> list[str]:
        return wiki_sample(self.n_texts)


class RedundancyWikiSmall(RedundancyWiki):
    metadata = _metadata("RedundancyWikiSmall", 1_000, "A quick version of RedundancyWiki (its first 1,000 texts).")
    n_texts = 1_000


# --------------------------------------------------------------------------------------------
# Redundancy tasks over any corpus: a file of texts, or an MTEB task's corpus
# --------------------------------------------------------------------------------------------

_FILE_COMMON = {
    "category": "t2t",
    "modalities": ["text"],
    "eval_splits": ["test"],
    "main_score": "main_score",
    "type": "Redundancy",
    "task_subtypes": [],
    "annotations_creators": "derived",
    "sample_creation": "created",
    "bibtex_citation": "",
}


def check_corpus(texts: list, where: str, *, allow_duplicates: bool = False) -> list[str]:
    """Texts as a list of distinct, non-empty strings, or a ValueError naming the offending entries
    (1-based lines for a file). With ``allow_duplicates`` repeats are dropped (first copy kept)."""
    bad = [i + 1 for i, t in enumerate(texts) if not isinstance(t, str) or not t.strip()]
    if bad:
        raise ValueError(f"{where}: entries {bad[:10]} are empty (or not strings); every line must hold a text. Remove them.")
    first: dict[str, int] = {}
    duplicates = []
    for i, text in enumerate(texts):
        if text in first:
            duplicates.append(f"{first[text]} and {i + 1} ({text[:40]!r})")
        first.setdefault(text, i + 1)
    if duplicates and allow_duplicates:
        texts = list(first)
    elif duplicates:
        raise ValueError(
            f"{where}: {len(duplicates)} duplicate texts, entries {'; '.join(duplicates[:5])}. A repeated text "
            "would be a zero distance in TwoNN; remove the repeats, or pass allow_duplicates=True to drop them."
        )
    if len(texts) < 3:
        raise ValueError(f"{where}: {len(texts)} texts; TwoNN needs at least 3.")
    return list(texts)


def read_texts(path: str | Path, *, text_field: str = "text", allow_duplicates: bool = False) -> list[str]:
    """The texts of ``path``: ``.jsonl`` (one JSON object per line with ``text_field``, or a JSON string)
    or any other suffix as plain text, one text per line (the line break is not part of the text;
    a final line break is allowed)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Text file {path} does not exist.")
    data = path.read_bytes()
    try:
        raw = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ValueError(
            f"{path} is not UTF-8 text: byte {error.start} (line {line}) is 0x{data[error.start]:02x}, which is not "
            f"valid UTF-8. Texts files must be UTF-8; convert it, e.g. `iconv -f latin1 -t utf-8`."
        ) from None
    lines = re.split(r"\r?\n", raw[:-1] if raw.endswith("\n") else raw)
    if raw.endswith("\r\n"):
        lines[-1] = lines[-1].rstrip("\r")
    if path.suffix.lower() == ".jsonl":
        texts = []
        for number, line in enumerate(lines, 1):
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise ValueError(f"{path}:{number} is not a JSON value ({error}).") from None
            if isinstance(record, dict):
                if text_field not in record:
                    raise ValueError(f"{path}:{number} has no field {text_field!r} (fields: {sorted(record)[:10]}).")
                record = record[text_field]
            texts.append(record)
    else:
        texts = lines
    return check_corpus(texts, str(path), allow_duplicates=allow_duplicates)


def _corpus_task(name: str, description: str, dataset: dict, load_texts, eval_langs, n_resamples) -> type[AbsTaskRedundancy]:
    metadata = RedundancyMetadata(
        name=name, description=description, dataset=dataset, eval_langs=eval_langs or ["eng-Latn"], **_FILE_COMMON
    )
    attributes = {"metadata": metadata, "load_texts": load_texts, "__module__": __name__}
    if n_resamples is not None:
        attributes["n_resamples"] = int(n_resamples)
    return type(name, (AbsTaskRedundancy,), attributes)


def redundancy_task_from_file(
    path: str | Path,
    name: str | None = None,
    *,
    text_field: str = "text",
    allow_duplicates: bool = False,
    description: str | None = None,
    eval_langs: list[str] | None = None,
    n_resamples: int | None = None,
) -> type[AbsTaskRedundancy]:
    """A Redundancy task class over the texts of ``path`` (see :func:`read_texts` for the formats).

    The file is read and checked now (empty or duplicate texts are an error unless
    ``allow_duplicates``); its SHA-256 is ``metadata.dataset["revision"]`` and is checked again when
    the task loads, so a file edited in between fails instead of giving results under the old revision.
    ``name`` defaults to ``Redundancy_<file stem>_<first 12 hex digits of the SHA-256>``: the content
    names the result, so an edited file is a new task (MTEB's ``only-missing`` would otherwise return
    the old file's result) and two different files with one stem never share a result.
    ``n_resamples`` overrides the number of split-half resamples of the intervals (0: none).
    """
    path = Path(path).expanduser().resolve()
    texts = read_texts(path, text_field=text_field, allow_duplicates=allow_duplicates)
    sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    stem = re.sub(r"\W+", "_", path.stem)
    name = name or f"Redundancy_{stem}_{sha256[:12]}"

    def load_texts(self) -> list[str]:
        actual = hashlib.sha256(path.read_bytes()).hexdigest()
        if actual != sha256:
            raise ValueError(
                f"{path} changed since task {name!r} was defined (SHA-256 {actual}, expected {sha256}); "
                "define the task again from the new file."
            )
        return read_texts(path, text_field=text_field, allow_duplicates=allow_duplicates)

    description = description or (
        f"TwoNN intrinsic dimension and IsoScore of the {len(texts):,} texts of {path.name} under each prompt type. "
        "Main score: TwoNN ID under the retrieval-query prompt (a measurement, not higher-is-better)."
    )
    return _corpus_task(name, description, {"path": str(path), "revision": sha256}, load_texts, eval_langs, n_resamples)


def redundancy_task_from_mteb(
    task_name: str,
    name: str | None = None,
    *,
    hf_subset: str = "default",
    max_texts: int | None = None,
    seed: int = SAMPLE_SEED,
    n_resamples: int | None = None,
) -> type[AbsTaskRedundancy]:
    """A Redundancy task class over an MTEB task's texts: a retrieval task's corpus (its documents),
    otherwise every text of its evaluation splits (``mteb_bridge.fitting.pca_fitting_set``), distinct,
    in first-seen order; ``max_texts`` keeps a seeded random sample of that many. Loaded when the
    task's data is loaded."""
    import mteb

    source = mteb.get_task(task_name)
    name = name or f"Redundancy_{task_name}"

    def load_texts(self) -> list[str]:
        from mteb_redundancy.mteb_bridge.fitting import pca_fitting_set

        texts = list(pca_fitting_set(task_name, hf_subset).texts)
        if max_texts is not None and len(texts) > max_texts:
            order = np.sort(np.random.default_rng(seed).permutation(len(texts))[:max_texts])
            texts = [texts[i] for i in order]
        return check_corpus(texts, f"{task_name} ({hf_subset})")

    description = (
        f"TwoNN intrinsic dimension and IsoScore of the texts of the MTEB task {task_name} (the corpus for retrieval, "
        f"every evaluation text otherwise{f', a seeded sample of {max_texts:,}' if max_texts else ''}) under each prompt type."
    )
    dataset = {"path": source.metadata.dataset["path"], "revision": source.metadata.dataset.get("revision") or "unknown"}
    return _corpus_task(name, description, dataset, load_texts, list(source.metadata.eval_langs) if isinstance(source.metadata.eval_langs, list) else None, n_resamples)


TASKS = (RedundancyWiki, RedundancyWikiSmall)
