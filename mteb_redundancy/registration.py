"""Registering what the plugins registered into MTEB, once per process.

``register_all`` runs on ``import mteb`` through the ``.pth`` start-up hook (and from
``import mteb_redundancy``). Each ``ModelSpec`` becomes one MTEB model name per variant, whose
``ModelMeta`` is an experiment of the base model; each task class is added under its name. A variant
name in any other spelling, or with a dimension that was not pre-registered, resolves on demand; an
unknown one fails with the closest registered names instead of a hub lookup.

Registration happens at once, whichever module imported ``mteb`` first, except in one case: when
``mteb`` is imported while a module of the project or of a plugin is itself half-imported (a plugin
or task module with ``import mteb`` at its top, imported first). Loading the plugins then would see
that module half-loaded, so registration waits for MTEB's first lookup (``get_model_meta(s)``,
``get_model``, ``get_task(s)``, ``ResultCache.load_results``/``submit_results``, the CLI).

:func:`check_plugins` runs MTEB's own checks (``mteb_bridge.validation``) over what one plugin or
every plugin registered (``mteb-redundancy plugins --check``).
"""

from __future__ import annotations

import threading
import warnings

from mteb_redundancy.mteb_bridge import registries

_lock = threading.RLock()
_done = False
# Top-level packages whose half-loaded modules make registration wait, besides the plugins' own.
_PROJECT_PACKAGES = ("mteb_redundancy", "mteb_redundancy_tasks", "mteb_redundancy_offline_models")


def _register_models(registry) -> None:
    from mteb_redundancy.models.variants import full_dimension, load_variant, variant_metas
    from mteb_redundancy.plugins import PluginError

    known = registries.model_registry()
    for model_id, spec in registry.models.items():
        try:
            base_meta = known.get(spec.model_id)
            if base_meta is not None and base_meta.loader is load_variant:
                base_meta = None  # never a variant's meta as a base model's facts
            source = registry.source_for(spec.model_id)
            revision = spec.revision or (source.revision if source else None)
            metas = variant_metas(spec, spec.variant_names(full_dimension(spec, base_meta)), base_meta, revision)
        except Exception as error:  # one bad ModelSpec must not keep the others out
            plugin = registry.model_plugins.get(model_id, "?")
            registry.errors.append(PluginError(plugin, f"registering {model_id}", f"{type(error).__name__}: {error}"))
            warnings.warn(f"mteb-redundancy: {registry.errors[-1]}", RuntimeWarning, stacklevel=2)
            continue
        registries.add_model_metas(metas)


def _register_now() -> None:
    global _done
    if _done:
        return
    with _lock:
        if _done:
            return
        _done = True
        from mteb_redundancy.plugins import get_registry

        registry = get_registry()
        _register_models(registry)
        registries.add_tasks(registry.tasks, registry.task_plugins)


# ----------------------------------------------------------------------------------------------
# What the bridge asks about the project's names


def _meant_as_variant(name: str) -> bool:
    """A variant name, or ``<base> (<options>)`` for a base model a plugin registered."""
    from mteb_redundancy.models.names import looks_like_variant, split_variant_name
    from mteb_redundancy.plugins import get_registry

    if looks_like_variant(name):
        return True
    try:
        parts = split_variant_name(name)
    except ValueError:
        parts = (name.split("(")[0].strip(), {}) if "(" in name else None
    if parts is None:
        return False
    base = parts[0].lower()
    return any(model_id.lower() == base for model_id in get_registry().models)


def _resolve_model(name: str) -> str | None:
    from mteb_redundancy.models.variants import resolve_variant

    if not _meant_as_variant(name):
        return None
    key, meta = resolve_variant(name, registries.model_registry())
    if key not in registries.model_registry():
        registries.add_model_metas({key: meta})
    return key


def _resolve_experiment(base: str, experiment_kwargs) -> str | None:
    """The registered name of the variant that an MTEB experiment of ``base`` with these kwargs is
    (``mteb.get_model(base, prompt="none", dim=64)``); ``None`` unless ``base`` is a plugin's model
    and the kwargs name a prompt style."""
    from mteb_redundancy.models.names import VariantName

    if not isinstance(base, str) or "prompt" not in experiment_kwargs or "(" in base:
        return None
    from mteb_redundancy.plugins import get_registry

    if not any(model_id.lower() == base.lower() for model_id in get_registry().models):
        return None
    try:
        variant = VariantName.from_experiment(base, dict(experiment_kwargs))
    except ValueError as error:
        from mteb_redundancy.models.variants import UnknownModelError, suggest_names

        raise UnknownModelError(f"{error} {suggest_names(base)}") from None
    return _resolve_model(str(variant))


def _variant_results(name: str):
    """``(base, experiment kwargs to match)`` for a variant's name, else None.
    A name that no longer resolves (its plugin is gone) still finds its results by its spelling."""
    from mteb_redundancy.models.names import looks_like_variant, parse_variant_name
    from mteb_redundancy.models.variants import UnknownModelError, resolve_variant, variant_of_meta

    if not isinstance(name, str) or not looks_like_variant(name):
        return None
    try:
        key, meta = resolve_variant(name, registries.model_registry())
        variant = variant_of_meta(meta)
    except (UnknownModelError, ValueError, TypeError):
        try:
            variant = parse_variant_name(name)
        except ValueError:
            return None
    if variant is None:
        return None
    return variant.base, variant.experiment_kwargs()


def _kwargs_match(wanted: dict, found: dict) -> bool:
    """An experiment on disk is the wanted variant's: the same options; any precision, unless the
    name asked for one."""
    if "precision" not in wanted:
        found = {k: v for k, v in found.items() if k != "precision"}
    return {k: str(v) for k, v in found.items()} == {k: str(v) for k, v in wanted.items()}


def _variant_metas_in(cache) -> list:
    from mteb_redundancy.models.names import VariantName
    from mteb_redundancy.mteb_bridge.results_layout import experiment_metas_on_disk

    def is_variant(data: dict) -> bool:
        try:
            VariantName.from_experiment(str(data.get("name")), dict(data.get("experiment_kwargs") or {}))
        except ValueError:
            return False
        return True

    return experiment_metas_on_disk(cache, None, is_variant)


def _half_loaded_plugin_modules(being_imported: list[str]) -> list[str]:
    """The modules under import that registering would need: the project's and its plugins'."""
    packages = set(_PROJECT_PACKAGES)
    tops = {name.split(".")[0] for name in being_imported}
    if tops - packages:  # only then is it worth reading the entry points
        from importlib.metadata import entry_points

        from mteb_redundancy.plugins import ENTRY_POINT_GROUP

        packages |= {ep.module.split(".")[0] for ep in entry_points(group=ENTRY_POINT_GROUP)}
    return [name for name in being_imported if name.split(".")[0] in packages]


def register_all() -> None:
    """Register every plugin's models and tasks into MTEB. Idempotent and thread-safe.

    Registration waits for MTEB's first lookup only when ``import mteb`` ran inside the import of a
    module of the project or of a plugin (see the module's docstring)."""
    with _lock:
        registries.wrap_lookups(
            _register_now,
            registries.Resolver(
                resolve_model=_resolve_model,
                variant_results=_variant_results,
                kwargs_match=_kwargs_match,
                variant_metas_in=_variant_metas_in,
                resolve_experiment=_resolve_experiment,
            ),
        )
        being_imported = registries.modules_being_imported()
        if not being_imported or not _half_loaded_plugin_modules(being_imported):
            _register_now()


# ----------------------------------------------------------------------------------------------
# MTEB's checks of what the plugins registered


def check_plugins(plugin: str | None = None):
    """MTEB's offline checks of the tasks and model variants that ``plugin`` registered (every
    plugin's if ``None``), and the plugin's own load errors, as a ``validation.CheckReport``. An
    unknown plugin name is a ``ValueError`` naming the loaded ones."""
    import difflib

    from mteb_redundancy.models.variants import load_variant
    from mteb_redundancy.mteb_bridge.validation import CheckReport, Failure, model_failures, task_failures
    from mteb_redundancy.plugins import get_registry

    register_all()
    _register_now()
    registry = get_registry()
    known = list(dict.fromkeys([*registry.plugins, *(e.plugin for e in registry.errors)]))  # a plugin that failed to load too
    if plugin is not None and plugin not in known:
        close = difflib.get_close_matches(plugin, known, n=2)
        hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
        raise ValueError(f"No plugin {plugin!r} is installed.{hint} Known: {', '.join(known)} (`mteb-redundancy plugins`).")

    def chosen(name: str | None) -> bool:
        return plugin is None or name == plugin

    report = CheckReport()
    report.failures += [Failure(e.plugin, "plugin", e.plugin, e.stage, e.error) for e in registry.errors if chosen(e.plugin)]
    for name, task_class in sorted(registry.tasks.items()):
        if chosen(registry.task_plugins.get(name)):
            report.tasks.append(name)
            report.failures += task_failures(task_class, registry.task_plugins[name])
    # a variant is its ModelSpec's plugin's, and also that of the plugin that gives its weights
    variants = registries.metas_loaded_by(load_variant)
    owners = {key: (registry.model_plugins.get(meta.name, "?"), getattr(registry.source_for(meta.name), "plugin", None)) for key, meta in variants.items()}
    plugin_of = {key: spec if source in (None, spec) else f"{spec} (weights: {source})" for key, (spec, source) in owners.items()}
    metas = {key: meta for key, meta in variants.items() if any(chosen(owner) for owner in owners[key] if owner)}
    report.models = list(metas)
    report.failures += model_failures(metas, plugin_of.__getitem__)
    return report
