"""Models a user adds without writing a plugin: a TOML file, read by a built-in plugin.

The file is ``$MTEB_REDUNDANCY_MODELS`` or ``~/.config/mteb-redundancy/models.toml``::

    [[models]]
    id = "my-org/my-encoder"           # the name variants are called by
    path = "/data/my-encoder"          # optional: a local folder instead of the hub
    revision = "0123abc"               # optional
    prompt_styles = ["none", "instruction"]
    dims = [48, 96]                    # optional, besides 2, 4, 8, ..., full
    embed_dim = 768                    # optional: needed to pre-register reduced dims
    trust_remote_code = false          # only if you trust the model's code
    max_seq_length = 256               # optional: tokens per input (part of the embedding cache's key)
    prefixes = { query = "query: ", document = "passage: " }
    instructions = { WikiTopicClassification = "Classify the article" }
    backend = "prompteol"              # optional: sentence-transformers (default), prompteol, instructor
    backend_options = { demonstrations = [["A man is playing a guitar.", "Music"]] }

``mteb-redundancy add-model`` writes entries for you.
"""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path
from typing import Any

from mteb_redundancy._io import atomic_write_text
from mteb_redundancy.hookspecs import hookimpl
from mteb_redundancy.models.spec import ModelSpec

MODELS_VARIABLE = "MTEB_REDUNDANCY_MODELS"
_KEYS = {
    "id", "path", "revision", "prompt_styles", "dims", "embed_dim", "trust_remote_code",
    "prefixes", "instructions", "backend", "reductions", "max_seq_length", "backend_options",
}


def config_path() -> Path:
    configured = os.environ.get(MODELS_VARIABLE)
    if configured:
        return Path(configured).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "mteb-redundancy" / "models.toml"


def read_entries(path: Path | None = None) -> list[dict[str, Any]]:
    path = path or config_path()
    if not path.exists():
        return []
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ValueError(f"{path} is not valid TOML: {error}") from None
    entries = data.get("models", [])
    if not isinstance(entries, list):
        raise ValueError(
            f"{path}: 'models' must be an array of tables, written [[models]] (one per model); got "
            f"{type(entries).__name__}. Write each model as a [[models]] block."
        )
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            raise ValueError(f"{path}: [[models]] entry {number} is {entry!r}, not a table of keys.")
        unknown = set(entry) - _KEYS
        if unknown or "id" not in entry:
            raise ValueError(f"{path}: model entry {entry.get('id', number)!r} has unknown keys {sorted(unknown)} "
                             f"or no 'id'; allowed keys: {sorted(_KEYS)}.")
        for key in ("id", "path"):
            if key in entry and not isinstance(entry[key], str):
                raise ValueError(f"{path}: model entry {entry.get('id', number)!r}: {key} must be a string; got {entry[key]!r}.")
    return entries


def spec_from_entry(entry: dict[str, Any], path: Path | None = None) -> ModelSpec:
    """The entry's ``ModelSpec``; a value of the wrong type is a ``ValueError`` naming the file, the
    entry, the key, the value and the type expected."""
    options = {key: value for key, value in entry.items() if key not in {"id", "path"}}
    try:
        return ModelSpec(model_id=entry["id"], **options)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{path or config_path()}: model entry {entry.get('id')!r}: {error}") from None


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"Cannot write {value!r} to TOML.")


def write_entries(entries: list[dict[str, Any]], path: Path | None = None) -> Path:
    path = path or config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    blocks = []
    for entry in entries:
        lines = ["[[models]]"] + [f"{key} = {_toml_value(value)}" for key, value in entry.items() if value is not None]
        blocks.append("\n".join(lines))
    header = "# Models added with `mteb-redundancy add-model`; see mteb_redundancy/default_plugins/user_models.py\n\n"
    return atomic_write_text(path, header + "\n\n".join(blocks) + "\n")


def add_entry(entry: dict[str, Any], path: Path | None = None) -> Path:
    from mteb_redundancy.plugins import check_spec

    check_spec(spec_from_entry(entry, path))  # validate before writing
    if entry.get("path") and not Path(entry["path"]).expanduser().is_dir():
        raise ValueError(f"--path {entry['path']!r} is not a folder; give the folder that holds the model's weights.")
    entries = [e for e in read_entries(path) if e["id"] != entry["id"]] + [entry]
    return write_entries(entries, path)


def _each_entry(action) -> None:
    """Apply ``action`` to every entry; one bad entry is reported (after the others are done) and
    does not cost the others their registration."""
    problems = []
    for entry in read_entries():
        try:
            action(entry)
        except (TypeError, ValueError, FileNotFoundError) as error:
            problems.append(str(error))
    if problems:
        raise ValueError("; ".join(problems))


def _missing_path(entry: dict[str, Any]) -> Path | None:
    """The entry's ``path`` where it is given and is not a folder."""
    path = Path(entry["path"]).expanduser() if entry.get("path") else None
    return path if path is not None and not path.is_dir() else None


@hookimpl
def register_models(register):
    def model(entry):
        missing = _missing_path(entry)
        if missing is not None:
            # Refused, not registered with the hub as its source: online, that would fetch whatever
            # the hub has under this id.
            raise FileNotFoundError(
                f"{config_path()}: model entry {entry['id']!r}: its weights folder does not exist: {missing}; "
                "the model is not registered. Fix the path, or remove the entry."
            )
        register(spec_from_entry(entry))

    _each_entry(model)


@hookimpl
def register_model_sources(register):
    def source(entry):
        if entry.get("path") and _missing_path(entry) is None:  # a missing folder: reported by register_models
            register(entry["id"], Path(entry["path"]).expanduser(), revision=entry.get("revision"))

    _each_entry(source)
