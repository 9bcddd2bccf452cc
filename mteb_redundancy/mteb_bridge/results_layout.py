"""Where MTEB puts a variant's results, and the checks that keep them inside the output folder.

A variant is an MTEB *experiment* of its base model: its ``ModelMeta`` has the base model's name and
revision and the variant's options as ``experiment_kwargs``, so MTEB writes its results to

    <output>/results/<org__model>/<revision>/experiments/<experiment_name>/<Task>.json

(``experiment_name`` is MTEB's serialization of the kwargs, e.g. ``dim_64__prompt_none``). This
module reads them and checks that every name that becomes a folder stays a single folder name, so
that no write lands outside the output folder whatever a plugin or a ``models.toml`` says. What a
variant is (``models.names``) is passed in by the caller; nothing here imports the rest of the project.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable
from pathlib import Path

EXPERIMENTS_FOLDER = "experiments"  # MTEB's name for it (mteb.cache.result_cache)
META_FILE = "model_meta.json"
_FORBIDDEN_CHARACTERS = ("/", "\\", "\0")
_DRIVE = re.compile(r"^[A-Za-z]:")


class UnsafePathError(ValueError):
    """A name that would not be a single folder (or file) name under the output folder."""


@functools.lru_cache(maxsize=4096)
def _path_problem(value) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return "is empty"
    if value.strip(" .") == "":
        return "is a relative path (only dots)"
    if any(c in value for c in _FORBIDDEN_CHARACTERS):
        return "contains a path separator"
    if _DRIVE.match(value):
        return "is an absolute path (a drive)"
    if any(ord(c) < 32 for c in value):
        return "contains a control character"
    return None


def check_path_component(kind: str, value: str) -> str:
    """``value`` as one folder or file name: not empty, not ``.`` or ``..``, no path separator (so not
    absolute), no drive, no control character. Raises :class:`UnsafePathError` naming ``kind``."""
    problem = _path_problem(value)
    if problem:
        raise UnsafePathError(
            f"The {kind} {value!r} {problem}: it becomes a folder name of MTEB's results "
            f"(results/<model>/<revision>/[experiments/<experiment>/]<task>.json) and must be a single name."
        )
    return value


def check_meta_paths(meta) -> None:
    """Check the folder names a ``ModelMeta``'s results would get (model, revision, experiment)."""
    check_path_component("model name", meta.model_name_as_path())
    if meta.revision is not None:
        check_path_component(f"revision of {meta.name}", meta.revision)
    if meta.experiment_name is not None:
        check_path_component(f"experiment name of {meta.name}", meta.experiment_name)


def task_result_path(cache, task_name: str, meta) -> Path:
    """MTEB's path for ``task_name``'s result of ``meta`` in ``cache``, checked to lie inside the
    cache's ``results`` folder."""
    check_path_component("task name", task_name)
    check_meta_paths(meta)
    path = cache.get_task_result_path(task_name, meta)
    root = (Path(cache.cache_path) / "results").resolve()
    if not path.resolve().is_relative_to(root):
        raise UnsafePathError(f"The result of {meta.name} on {task_name} would be written outside {root}: {path}.")
    return path


def model_folder_name(name: str) -> str:
    """MTEB's folder name of the model called ``name`` (``ModelMeta.model_name_as_path``)."""
    return name.replace("/", "__").replace(" ", "_")


# ----------------------------------------------------------------------------------------------
# Reading


def load_task_result(cache, task_name: str, meta):
    """``(TaskResult, path)`` of ``meta`` on ``task_name`` in ``cache``; ``(None, path)`` if there is none."""
    from mteb.results import TaskResult

    path = task_result_path(cache, task_name, meta)
    if path.exists():
        return TaskResult.from_disk(path), path
    return None, path


def experiment_metas_on_disk(cache, base_name: str | None, match: Callable[[dict], bool], *, include_remote: bool = False) -> list:
    """The ``ModelMeta`` of every experiment folder of ``base_name`` (of every model if ``None``; any
    revision) whose ``model_meta.json`` satisfies ``match(json)``; local results first. The metas
    are as MTEB reads them from result folders (not validated, no loader)."""
    from mteb.models import ModelMeta

    roots = [Path(cache.cache_path) / "results"]
    if include_remote:
        roots.append(Path(cache.remote_results_path))
    model_folder = model_folder_name(base_name) if base_name is not None else "*"
    found = []
    for root in roots:
        for meta_file in sorted(root.glob(f"{model_folder}/*/{EXPERIMENTS_FOLDER}/*/{META_FILE}")):
            try:
                data = json.loads(meta_file.read_text("utf-8"))
            except (OSError, ValueError):
                continue
            if (base_name is None or data.get("name") == base_name) and data.get("name") and data.get("revision") and match(data):
                found.append(ModelMeta.model_construct(**{**data, "loader": None}))
    return found


def load_model_results(output_folder: str | Path, tasks: Iterable[str] | None = None, *, include_remote: bool = False) -> list:
    """Every ``ModelResult`` under an ``mteb run --output-folder``, experiments included (each with
    its ``model_meta``), as MTEB's ``ResultCache.load_results`` reads them."""
    import mteb

    results = mteb.ResultCache(output_folder).load_results(
        tasks=list(tasks) if tasks is not None else None,
        include_remote=include_remote,
        load_experiments="match_name",
        require_model_meta=True,
    )
    return list(results.model_results)
