"""Registering what the plugins registered into MTEB, once per process.

``register_all`` runs on ``import mteb`` through the ``.pth`` start-up hook (and from
``import mteb_redundancy``). Each ``ModelSpec`` becomes one MTEB model name per variant; each task
class is added under its name. A variant name that was not pre-registered (an unusual d) resolves
on demand; an unknown one fails with the closest registered names instead of a hub lookup.
"""

from __future__ import annotations

import threading
import warnings

from mteb_redundancy.mteb_bridge import registries

_lock = threading.RLock()
_done = False


def _register_models(registry) -> None:
    from mteb_redundancy.models.variants import full_dimension, variant_meta
    from mteb_redundancy.plugins import PluginError

    known = registries.model_registry()
    for model_id, spec in registry.models.items():
        try:
            base_meta = known.get(spec.model_id)
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
        registries.add_model_metas(metas)


def _register_now() -> None:
    global _done
    with _lock:
        if _done:
            return
        _done = True
        from mteb_redundancy.plugins import get_registry

        registry = get_registry()
        _register_models(registry)
        registries.add_tasks(registry.tasks, registry.task_plugins)


def _resolve_missing_model(name: str):
    from mteb_redundancy.models.names import looks_like_variant
    from mteb_redundancy.models.variants import resolve_variant

    if not looks_like_variant(name):
        return None
    return resolve_variant(name, registries.model_registry())


def register_all() -> None:
    """Register every plugin's models and tasks into MTEB. Idempotent and thread-safe.

    When ``import mteb`` ran inside another module's import (a plugin or task module that imports
    mteb at its top), registration waits until MTEB is first asked for a model or a task.
    """
    with _lock:
        registries.wrap_lookups(_register_now, _resolve_missing_model)
        if not registries.modules_being_imported():
            _register_now()
