"""The one module that touches MTEB's private registries.

MTEB has no plugin discovery: its models live in the module-level dict
``mteb.models.model_implementations.MODEL_REGISTRY`` and its tasks in ``TASK_LIST`` (a tuple) and
``_TASKS_REGISTRY`` of the module ``mteb.get_tasks``. ``register_all`` adds what the plugins
registered, once per process (it runs on ``import mteb`` through the ``.pth`` hook, and may be
called again). It also wraps ``get_model_meta`` so that a variant name with a dimension that was
not pre-registered resolves, and an unknown variant name fails with the closest registered names
instead of a hub lookup.
"""

from __future__ import annotations

import functools
import importlib
import logging
import threading
import warnings

logger = logging.getLogger(__name__)

_lock = threading.RLock()
_done = False


def _model_registry() -> dict:
    return importlib.import_module("mteb.models.model_implementations").MODEL_REGISTRY


def _register_models(registry) -> None:
    from mteb_redundancy.plugins import PluginError
    from mteb_redundancy.variants import full_dimension, variant_meta

    model_registry = _model_registry()
    for model_id, spec in registry.models.items():
        try:
            base_meta = model_registry.get(spec.model_id)
            source = registry.source_for(spec.model_id)
            revision = spec.revision or (source.revision if source else None)
            metas = [
                variant_meta(spec, variant, base_meta, revision)
                for variant in spec.variant_names(full_dimension(spec, base_meta))
            ]
        except Exception as error:  # one bad ModelSpec must not keep the others out
            plugin = registry.model_plugins.get(model_id, "?")
            registry.errors.append(PluginError(plugin, f"registering {model_id}", f"{type(error).__name__}: {error}"))
            warnings.warn(f"mteb-redundancy: {registry.errors[-1]}", RuntimeWarning, stacklevel=2)
            continue
        model_registry.update((meta.name, meta) for meta in metas)


def _register_tasks(registry) -> None:
    tasks_module = importlib.import_module("mteb.get_tasks")
    known = tasks_module._TASKS_REGISTRY
    added = []
    for name, task_class in registry.tasks.items():
        existing = known.get(name)
        if existing is task_class:
            continue
        if existing is not None and not getattr(existing, "_mteb_redundancy_task", False):
            warnings.warn(
                f"mteb-redundancy: task {name!r} from plugin {registry.task_plugins[name]!r} has the name of an "
                f"MTEB task and was not registered; rename it.",
                RuntimeWarning,
                stacklevel=2,
            )
            continue
        task_class._mteb_redundancy_task = True
        known[name] = task_class
        added.append(task_class)
    if added:
        kept = tuple(t for t in tasks_module.TASK_LIST if t.metadata.name not in {a.metadata.name for a in added})
        tasks_module.TASK_LIST = kept + tuple(added)


def _modules_being_imported() -> list[str]:
    """Modules whose import is under way (other than mteb's own). If ``import mteb`` happened inside
    one of them, a plugin may be that very module, half-loaded: registering now would miss it."""
    import sys

    return [
        name
        for name, module in list(sys.modules.items())
        if getattr(getattr(module, "__spec__", None), "_initializing", False)
        and name != "mteb"
        and not name.startswith("mteb.")
    ]


def _wrap(module, attribute: str) -> None:
    """Make ``module.attribute`` finish a deferred registration before it runs."""
    original = getattr(module, attribute)
    if getattr(original, "_mteb_redundancy_wrapped", False):
        return

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        _register_now()
        return original(*args, **kwargs)

    wrapper._mteb_redundancy_wrapped = True
    setattr(module, attribute, wrapper)
    import mteb

    if getattr(mteb, attribute, None) is original:
        setattr(mteb, attribute, wrapper)


def _wrap_get_model_meta() -> None:
    module = importlib.import_module("mteb.models.get_model_meta")
    original = module.get_model_meta
    if getattr(original, "_mteb_redundancy_wrapped", False):
        return

    @functools.wraps(original)
    def get_model_meta(model_name, *args, **kwargs):
        from mteb_redundancy.naming import looks_like_variant
        from mteb_redundancy.variants import resolve_variant

        _register_now()
        model_registry = _model_registry()
        if isinstance(model_name, str) and model_name not in model_registry and looks_like_variant(model_name):
            resolve_variant(model_name, model_registry)
        return original(model_name, *args, **kwargs)

    get_model_meta._mteb_redundancy_wrapped = True
    module.get_model_meta = get_model_meta
    import mteb

    if getattr(mteb, "get_model_meta", None) is original:
        mteb.get_model_meta = get_model_meta


def _register_now() -> None:
    global _done
    with _lock:
        if _done:
            return
        _done = True
        from mteb_redundancy.plugins import get_registry

        registry = get_registry()
        _register_models(registry)
        _register_tasks(registry)


def register_all() -> None:
    """Register every plugin's models and tasks into MTEB. Idempotent and thread-safe.

    When ``import mteb`` ran inside another module's import (a plugin or task module that imports
    mteb at its top), registration waits until MTEB is first asked for a model or a task.
    """
    with _lock:
        _wrap_get_model_meta()
        tasks_module = importlib.import_module("mteb.get_tasks")
        for attribute in ("get_task", "get_tasks"):
            _wrap(tasks_module, attribute)
        if not _modules_being_imported():
            _register_now()
