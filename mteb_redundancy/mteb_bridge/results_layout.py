"""Where MTEB puts a result, and the project's two layouts of them.

A variant is an MTEB *experiment* of its base model: its ``ModelMeta`` has the base model's name and
revision and the variant's options as ``experiment_kwargs``, so MTEB writes its results to

    <output>/results/<org__model>/<revision>/experiments/<experiment_name>/<Task>.json

(``experiment_name`` is MTEB's serialization of the kwargs, e.g. ``dim_64__prompt_none``). Before,
each variant was a model of its own: ``<output>/results/<org__model>_(prompt=none,_dim=64)/<revision>/``
(the *legacy* layout). This module reads both, moves legacy folders to the experiment layout
(:func:`migrate`), and checks that every name that becomes a folder stays a single folder name, so
that no write lands outside the output folder whatever a plugin or a ``models.toml`` says.

    python -m mteb_redundancy.mteb_bridge.results_layout migrate results [--dry-run]

What a variant is (``models.names``) is passed in; only the command line uses the project's own
naming (``models.variants.legacy_name_as_experiment``).
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
import re
import shutil
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


def experiment_name(experiment_kwargs: Mapping[str, Any] | None) -> str | None:
    """MTEB's folder name for an experiment's kwargs (``None`` for none)."""
    from mteb.models.model_meta import _serialize_experiment_kwargs_to_name

    return _serialize_experiment_kwargs_to_name(experiment_kwargs)


def legacy_folder_name(name: str) -> str:
    """The folder MTEB gave a model named ``name`` (the legacy layout's variant folders)."""
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


def load_task_result(cache, task_name: str, meta, legacy_name: str | None = None, task=None):
    """``(TaskResult, path)`` of ``meta`` on ``task_name`` in ``cache``: the experiment layout first,
    then the legacy folder of ``legacy_name`` (same revision); ``(None, experiment path)`` if neither,
    or if the file is unreadable or (given ``task``) of another dataset revision (:func:`read_task_result`)."""
    path = task_result_path(cache, task_name, meta)
    if path.exists():
        return read_task_result(path, task), path
    if legacy_name is not None:
        legacy = Path(cache.cache_path) / "results" / legacy_folder_name(legacy_name) / (meta.revision or "no_revision_available")
        legacy_file = legacy / f"{task_name}.json"
        if legacy_file.exists():
            result = read_task_result(legacy_file, task)
            return (result, legacy_file) if result is not None else (None, path)
    return None, path


def experiment_metas_on_disk(cache, base_name: str | None, match: Callable[[dict], bool], *, include_remote: bool = False) -> list:
    """The ``ModelMeta`` of every experiment folder of ``base_name`` (of every model if ``None``; any
    revision) whose ``model_meta.json`` satisfies ``match(json)``; local results first. The metas
    are as MTEB reads them from result folders (not validated, no loader)."""
    from mteb.models import ModelMeta

    roots = [Path(cache.cache_path) / "results"]
    if include_remote:
        roots.append(Path(cache.remote_results_path))
    model_folder = legacy_folder_name(base_name) if base_name is not None else "*"
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


# ----------------------------------------------------------------------------------------------
# Moving legacy folders


@dataclass(frozen=True)
class Move:
    source: Path
    target: Path
    model: str  # the variant's name
    base: str  # its base model's name
    experiment_kwargs: Mapping[str, Any]


def _recorded_precision(folder: Path) -> str | None:
    """The precision the project's own task types recorded in the folder's results, if one."""
    seen = set()
    for path in folder.glob("*.json"):
        if path.name == META_FILE:
            continue
        try:
            scores = json.loads(path.read_text("utf-8")).get("scores", {})
        except (OSError, ValueError):
            continue
        for split_scores in scores.values():
            for entry in split_scores:
                # a string: the encoding's precision ("bfloat16"); a number would be a classification score
                if isinstance(entry, dict) and isinstance(entry.get("precision"), str):
                    seen.add(entry["precision"])
    return seen.pop() if len(seen) == 1 else None


def plan_migration(output_folder: str | Path, as_experiment: Callable[[str, str | None], tuple[str, dict] | None]) -> list[Move]:
    """The legacy variant folders under ``<output_folder>/results`` and where each goes.
    ``as_experiment(model_name, precision)`` gives ``(base name, experiment kwargs)`` for a variant's
    name, or ``None`` for a model that is not a variant."""
    root = Path(output_folder) / "results"
    moves = []
    for meta_file in sorted(root.glob(f"*/*/{META_FILE}")):
        folder = meta_file.parent
        try:
            data = json.loads(meta_file.read_text("utf-8"))
        except (OSError, ValueError):
            continue
        if data.get("experiment_kwargs"):
            continue
        converted = as_experiment(str(data.get("name")), _recorded_precision(folder))
        if converted is None:
            continue
        base, kwargs = converted
        revision = folder.name
        check_path_component("model name", legacy_folder_name(base))
        check_path_component("revision", revision)
        name = check_path_component("experiment name", experiment_name(kwargs))
        target = root / legacy_folder_name(base) / revision / EXPERIMENTS_FOLDER / name
        moves.append(Move(folder, target, str(data.get("name")), base, kwargs))
    return moves


def apply_move(move: Move) -> list[str]:
    """Move one legacy folder's files into the experiment layout; a task file already in the target
    is kept and the legacy one left where it is (reported). Returns what was left behind."""
    source, target = move.source, move.target
    data = json.loads((source / META_FILE).read_text("utf-8"))
    base = move.base
    adapted_from = data.get("adapted_from")
    data.update(
        name=base,
        experiment_kwargs=dict(move.experiment_kwargs),
        adapted_from=None if adapted_from == base else adapted_from,
        loader_kwargs={**(data.get("loader_kwargs") or {}), "variant": move.model},
    )
    target.mkdir(parents=True, exist_ok=True)
    left = []
    for path in sorted(source.iterdir()):
        if path.name == META_FILE:
            continue
        destination = target / path.name
        if path.name == "run_settings.jsonl" and destination.exists():
            with destination.open("a", encoding="utf-8") as out:
                out.write(path.read_text("utf-8"))
            path.unlink()
        elif destination.exists():
            left.append(f"{path} (a result is already at {destination})")
        else:
            shutil.move(str(path), str(destination))
    meta_target = target / META_FILE
    if not meta_target.exists():
        meta_target.write_text(json.dumps(data, indent=4, default=str), "utf-8")
    if not left:
        (source / META_FILE).unlink()
        source.rmdir()
        if not any(source.parent.iterdir()):
            source.parent.rmdir()
    return left


def migrate(output_folder: str | Path, *, dry_run: bool = False, as_experiment=None) -> list[Move]:
    """Move every legacy variant folder under ``<output_folder>/results`` into its base model's
    ``experiments/`` folder. ``as_experiment`` defaults to the project's variant names."""
    if as_experiment is None:
        from importlib import import_module

        as_experiment = import_module("mteb_redundancy.models.variants").legacy_name_as_experiment
    moves = plan_migration(output_folder, as_experiment)
    for move in moves:
        if not dry_run:
            for line in apply_move(move):
                logger.warning("left in place: %s", line)
    return moves


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m mteb_redundancy.mteb_bridge.results_layout",
        description="Move results written under a variant's own name into its base model's experiments/ folder.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    move = commands.add_parser("migrate", help="move legacy variant folders (results/<model>_(prompt=...)/...)")
    move.add_argument("output_folder", nargs="?", default="results", help="an `mteb run --output-folder` (default: results)")
    move.add_argument("--dry-run", action="store_true", help="only say what would move")
    args = parser.parse_args(argv)
    output = Path(args.output_folder)
    if not (output / "results").is_dir():
        print(f"error: {output / 'results'} is not a folder; give the folder `mteb run --output-folder` wrote to.", file=sys.stderr)
        return 2
    moves = migrate(output, dry_run=args.dry_run)
    for m in moves:
        print(f"{'would move' if args.dry_run else 'moved'} {m.model}: {m.source} -> {m.target}")
    if not moves:
        print(f"Nothing to move under {output / 'results'}.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
