"""MTEB's model and task registries, and the lookups that read them.

MTEB has no plugin discovery: its models live in the module-level dict
``mteb.models.model_implementations.MODEL_REGISTRY`` and its tasks in ``TASK_LIST`` (a tuple) and
``_TASKS_REGISTRY`` of the module ``mteb.get_tasks``. This module adds to them and wraps MTEB's
lookups (``get_model_meta``, ``get_task``, ``get_tasks``) so that a registration that had to wait
finishes first and a model name MTEB does not know can be resolved on demand. What to register is
decided elsewhere (``mteb_redundancy.registration``); nothing here imports the rest of the project.
"""

from __future__ import annotations

import functools
import importlib
import sys
import warnings
from collections.abc import Callable, Iterable, Mapping

_MARK = "_mteb_redundancy_wrapped"
_TASK_MARK = "_mteb_redundancy_task"


def model_registry() -> dict:
    """MTEB's registry of ``ModelMeta`` by name."""
    return importlib.import_module("mteb.models.model_implementations").MODEL_REGISTRY


def add_model_metas(metas: Iterable) -> None:
    model_registry().update((meta.name, meta) for meta in metas)


def metas_loaded_by(loader) -> dict:
    """The registered ``ModelMeta``s, by name, whose ``loader`` is ``loader``."""
    return {name: meta for name, meta in model_registry().items() if meta.loader is loader}


def add_tasks(task_classes: Mapping[str, type], plugin_of: Mapping[str, str]) -> None:
    """Add task classes by name; a name MTEB itself uses is refused with a warning."""
    tasks_module = importlib.import_module("mteb.get_tasks")
    known = tasks_module._TASKS_REGISTRY
    added = []
    for name, task_class in task_classes.items():
        existing = known.get(name)
        if existing is task_class:
            continue
        if existing is not None and not getattr(existing, _TASK_MARK, False):
            warnings.warn(
                f"mteb-redundancy: task {name!r} from plugin {plugin_of.get(name, '?')!r} has the name of an "
                f"MTEB task and was not registered; rename it.",
                RuntimeWarning,
                stacklevel=3,
            )
            continue
        setattr(task_class, _TASK_MARK, True)
        known[name] = task_class
        added.append(task_class)
    if added:
        names = {a.metadata.name for a in added}
        kept = tuple(t for t in tasks_module.TASK_LIST if t.metadata.name not in names)
        tasks_module.TASK_LIST = kept + tuple(added)


def modules_being_imported() -> list[str]:
    """Modules whose import is under way (other than mteb's own). If ``import mteb`` happened inside
    one of them, a plugin may be that very module, half-loaded: registering now would miss it."""
    return [
        name
        for name, module in list(sys.modules.items())
        if getattr(getattr(module, "__spec__", None), "_initializing", False)
        and name != "mteb"
        and not name.startswith("mteb.")
    ]


def _replace(module, attribute: str, make: Callable[[Callable], Callable]) -> None:
    original = getattr(module, attribute)
    if getattr(original, _MARK, False):
        return
    wrapper = functools.wraps(original)(make(original))
    setattr(wrapper, _MARK, True)
    setattr(module, attribute, wrapper)
    import mteb

    if getattr(mteb, attribute, None) is original:
        setattr(mteb, attribute, wrapper)


def wrap_lookups(before_lookup: Callable[[], None], resolve_missing_model: Callable[[str], object | None]) -> None:
    """Make MTEB's lookups call ``before_lookup()`` first, and let ``get_model_meta`` ask
    ``resolve_missing_model(name)`` for a ``ModelMeta`` when the name is not registered (it returns
    ``None`` to leave the name to MTEB, or raises a clear error). Idempotent."""

    def model_lookup(original):
        def get_model_meta(model_name, *args, **kwargs):
            before_lookup()
            if isinstance(model_name, str) and model_name not in model_registry():
                meta = resolve_missing_model(model_name)
                if meta is not None:
                    add_model_metas([meta])
            return original(model_name, *args, **kwargs)

        return get_model_meta

    def task_lookup(original):
        def lookup(*args, **kwargs):
            before_lookup()
            return original(*args, **kwargs)

        return lookup

    _replace(importlib.import_module("mteb.models.get_model_meta"), "get_model_meta", model_lookup)
    tasks_module = importlib.import_module("mteb.get_tasks")
    for attribute in ("get_task", "get_tasks"):
        _replace(tasks_module, attribute, task_lookup)
