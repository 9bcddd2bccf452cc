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
import logging
import re
from collections.abc import Callable, Iterable
from pathlib import Path

logger = logging.getLogger(__name__)

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


def read_task_result(path: Path, task=None):
    """The ``TaskResult`` in ``path``, or ``None`` with a warning that names the file when it cannot be
    read (MTEB writes results in place, so a run killed while writing leaves a truncated file) or,
    given ``task``, when it was computed on another dataset revision than the task's: either way it
    counts as missing, and is computed again."""
    from mteb.results import TaskResult

    try:
        result = TaskResult.from_disk(path)
    except Exception as error:  # noqa: BLE001  (JSON, pydantic and OS errors alike: the file is unusable)
        _warn_once(path, "Skipping the unreadable result file %s (%s: %s); it counts as missing and is run again.",
                   path, type(error).__name__, str(error).splitlines()[0][:200] if str(error) else "")
        return None
    if task is not None and result.dataset_revision != task.metadata.revision:
        _warn_once(path, "The result %s is of dataset revision %s, and %s is now at %s; it counts as missing and is run again.",
                   path, result.dataset_revision, task.metadata.name, task.metadata.revision)
        return None
    return result


def _readable_meta(path: Path) -> bool:
    """Whether a result folder's ``model_meta.json`` (written in place by MTEB, like the results) is
    missing or readable; an unreadable one skips the folder's results, with a warning."""
    try:
        if path.exists():
            json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as error:
        _warn_once(path, "Skipping the results beside the unreadable %s (%s); MTEB writes it again with the next result saved there.", path, error)
        return False
    return True


_warned: set[tuple[str, int]] = set()


def _warn_once(path: Path, message: str, *args) -> None:
    """One warning per file and version of it, however many readers look at it in one run."""
    try:
        version = Path(path).stat().st_mtime_ns
    except OSError:
        version = 0
    if (str(path), version) not in _warned:
        _warned.add((str(path), version))
        logger.warning(message, *args)


def load_task_result(cache, task_name: str, meta, task=None):
    """``(TaskResult, path)`` of ``meta`` on ``task_name`` in ``cache``; ``(None, path)`` if there is none,
    or if the file is unreadable or (given ``task``) of another dataset revision (:func:`read_task_result`)."""
    path = task_result_path(cache, task_name, meta)
    if path.exists():
        return read_task_result(path, task), path
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
    its ``model_meta``), as MTEB's ``ResultCache.load_results`` reads them; an unreadable result file
    is skipped with a warning that names it."""
    import mteb

    class ReadableResults(mteb.ResultCache):
        """MTEB reads every result file unguarded: one truncated file would stop the whole folder."""

        def get_cache_paths(self, *args, **kwargs) -> list[Path]:
            return [
                p for p in super().get_cache_paths(*args, **kwargs)
                if _readable_meta(p.parent / META_FILE) and read_task_result(p) is not None
            ]

    results = ReadableResults(output_folder).load_results(
        tasks=list(tasks) if tasks is not None else None,
        include_remote=include_remote,
        load_experiments="match_name",
        require_model_meta=True,
    )
    return list(results.model_results)
