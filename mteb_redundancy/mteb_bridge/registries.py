"""MTEB's model and task registries, and the lookups that read them.

MTEB has no plugin discovery: its models live in the module-level dict
``mteb.models.model_implementations.MODEL_REGISTRY`` and its tasks in ``TASK_LIST`` (a tuple) and
``_TASKS_REGISTRY`` of the module ``mteb.get_tasks``. This module adds to them and wraps MTEB's
public lookups so that

- a registration that had to wait finishes first (``get_model_meta``, ``get_model_metas``,
  ``get_task``, ``get_tasks``, and ``ResultCache.load_results``/``submit_results``, which look tasks
  and models up);
- a model name MTEB does not know can be resolved on demand (any spelling of a variant name); and
- ``ResultCache`` finds a variant's results by the variant's name, although they are an experiment
  of its base model (``mteb_bridge.results_layout``).

A wrapper replaces the function wherever an ``mteb`` module bound it, so MTEB's own callers see it
too. What to register, and what the project's names mean, is decided elsewhere
(``mteb_redundancy.registration`` passes it in as a :class:`Resolver`): of the project, this module
imports only ``mteb_bridge.results_layout``, where the result folders are.
"""

from __future__ import annotations

import functools
import importlib
import sys
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from mteb_redundancy.mteb_bridge.results_layout import UnsafePathError, check_path_component

_MARK = "_mteb_redundancy_wrapped"
_TASK_MARK = "_mteb_redundancy_task"


def model_registry() -> dict:
    """MTEB's registry of ``ModelMeta`` by name."""
    return importlib.import_module("mteb.models.model_implementations").MODEL_REGISTRY


def task_registry() -> dict:
    """MTEB's registry of task classes by name."""
    return importlib.import_module("mteb.get_tasks")._TASKS_REGISTRY


def add_model_metas(metas: Mapping[str, object] | Iterable) -> None:
    """Add ``ModelMeta``s under the names MTEB looks them up by: a mapping ``{name: meta}`` (a
    variant's name is not its ``ModelMeta.name``, which is its base model's), or metas by their name."""
    if isinstance(metas, Mapping):
        model_registry().update(metas)
    else:
        model_registry().update((meta.name, meta) for meta in metas)


def metas_loaded_by(loader) -> dict:
    """The registered ``ModelMeta``s, by registered name, whose ``loader`` is ``loader``."""
    return {name: meta for name, meta in model_registry().items() if meta.loader is loader}


def add_tasks(task_classes: Mapping[str, type], plugin_of: Mapping[str, str]) -> None:
    """Add task classes by name; a name MTEB itself uses, or one that is not a single file name (it
    names the result file), is refused with a warning."""
    tasks_module = importlib.import_module("mteb.get_tasks")
    known = task_registry()
    added = []
    for name, task_class in task_classes.items():
        existing = known.get(name)
        if existing is task_class:
            continue
        try:
            check_path_component("task name", name)
        except UnsafePathError as error:
            warnings.warn(f"mteb-redundancy: task from plugin {plugin_of.get(name, '?')!r} not registered: {error}", RuntimeWarning, stacklevel=3)
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
    """Modules whose import is under way (other than mteb's own)."""
    return [
        name
        for name, module in list(sys.modules.items())
        if getattr(getattr(module, "__spec__", None), "_initializing", False)
        and name != "mteb"
        and not name.startswith("mteb.")
    ]


def _replace(module, attribute: str, make: Callable[[Callable], Callable]) -> None:
    """Replace ``module.attribute`` by ``make(original)``, in every loaded ``mteb`` module that bound
    the original (``from mteb.get_tasks import get_task`` at the top of a module). Idempotent."""
    original = getattr(module, attribute)
    if getattr(original, _MARK, False):
        return
    wrapper = functools.wraps(original)(make(original))
    setattr(wrapper, _MARK, True)
    for name, loaded in list(sys.modules.items()):
        if (name == "mteb" or name.startswith("mteb.")) and getattr(loaded, "__dict__", {}).get(attribute) is original:
            setattr(loaded, attribute, wrapper)
    setattr(module, attribute, wrapper)


@dataclass
class Resolver:
    """What the project tells the bridge about its names.

    ``resolve_model(name)``: the registered name to look up instead of ``name`` (a variant's canonical
    name, added to the registry if it was resolved on demand), ``None`` to leave ``name`` to MTEB; it
    raises a clear error for a name that is meant as the project's and does not resolve.
    ``variant_results(name)``: for a variant's name, ``(base, experiment kwargs to match)``; ``None``
    for any other name. ``resolve_experiment(base, kwargs)``: the registered
    name of the variant that an experiment of ``base`` with these kwargs is (``None`` if none). ``kwargs_match(wanted, found)``: whether an experiment's
    kwargs on disk are the wanted variant's. ``variant_metas_in(cache)``: the ``ModelMeta``s of the
    variants with results in a cache (for ``submit_results`` without models).
    """

    resolve_model: Callable[[str], str | None]
    variant_results: Callable[[str], tuple[str, dict] | None]
    kwargs_match: Callable[[dict, dict], bool]
    variant_metas_in: Callable[[object], list]
    resolve_experiment: Callable[[str, Mapping], str | None] = lambda name, kwargs: None


def wrap_lookups(before_lookup: Callable[[], None], resolver: Resolver) -> None:
    """Make MTEB's lookups call ``before_lookup()`` first and know the project's names. Idempotent."""

    def resolved(name):
        if isinstance(name, str) and name not in model_registry():
            return resolver.resolve_model(name) or name
        return name

    def model_lookup(original):
        def get_model_meta(model_name, *args, **kwargs):
            before_lookup()
            experiment = kwargs.get("experiment_kwargs")
            if experiment and isinstance(model_name, str):  # an experiment of a base model: its variant
                key = resolver.resolve_experiment(model_name, experiment)
                if key is not None:
                    return original(key, *args, **{k: v for k, v in kwargs.items() if k != "experiment_kwargs"})
            return original(resolved(model_name), *args, **kwargs)

        return get_model_meta

    def model_loading(original):
        def get_model(model_name, revision=None, device=None, *, embed_dim=None, **kwargs):
            before_lookup()
            if "prompt" in kwargs and isinstance(model_name, str):  # get_model(base, prompt=..., dim=...)
                options = ("prompt", "dim", "reduction", "quantization", "precision")
                experiment = {k: kwargs[k] for k in options if kwargs.get(k) is not None}
                if embed_dim is not None and "dim" not in experiment:
                    experiment["dim"] = embed_dim
                key = resolver.resolve_experiment(model_name, experiment)
                if key is not None:
                    rest = {k: v for k, v in kwargs.items() if k not in options}
                    return original(key, revision, device, **rest)
            return original(model_name, revision, device, embed_dim=embed_dim, **kwargs)

        return get_model

    def model_listing(original):
        def get_model_metas(model_names=None, *args, **kwargs):
            before_lookup()
            if model_names is None:
                return original(None, *args, **kwargs)
            names = [resolved(name) for name in model_names]
            registry = model_registry()
            ours = [name for name in names if name in registry and registry[name].name != name]
            if not ours:
                return original(names, *args, **kwargs)
            # MTEB keeps a meta only if its .name is one of the names asked for; a variant's .name is
            # its base model's. Filter the whole registry instead and keep the ones asked for.
            wanted = {id(registry[name]) for name in names if name in registry}
            for name in names:
                if name not in registry:
                    original([name])  # MTEB's own error for an unknown name
            return [meta for meta in original(None, *args, **kwargs) if id(meta) in wanted]

        return get_model_metas

    def task_lookup(original):
        def lookup(*args, **kwargs):
            before_lookup()
            return original(*args, **kwargs)

        return lookup

    lookups = importlib.import_module("mteb.models.get_model_meta")
    _replace(lookups, "get_model_meta", model_lookup)
    _replace(lookups, "get_model_metas", model_listing)
    _replace(lookups, "get_model", model_loading)
    tasks_module = importlib.import_module("mteb.get_tasks")
    for attribute in ("get_task", "get_tasks"):
        _replace(tasks_module, attribute, task_lookup)
    _wrap_result_cache(before_lookup, resolver)


# ----------------------------------------------------------------------------------------------
# ResultCache: a variant's results by the variant's name


def _experiment_metas(cache, name: str, resolver: Resolver, include_remote: bool) -> list:
    from mteb_redundancy.mteb_bridge.results_layout import experiment_metas_on_disk

    found = resolver.variant_results(name)
    if found is None:
        return []
    base, wanted = found
    return experiment_metas_on_disk(
        cache, base, lambda data: resolver.kwargs_match(wanted, dict(data.get("experiment_kwargs") or {})), include_remote=include_remote
    )


def _wrap_result_cache(before_lookup: Callable[[], None], resolver: Resolver) -> None:
    from mteb.cache.result_cache import ResultCache

    def loading(original):
        def load_results(self, models=None, tasks=None, **kwargs):
            before_lookup()
            if models is None or isinstance(models, str):
                return original(self, models, tasks, **kwargs)
            models = list(models)
            if not models or not all(isinstance(m, str) for m in models):
                return original(self, models, tasks, **kwargs)
            include_remote = kwargs.get("include_remote", True)
            experiments, plain = [], []
            for model in models:
                metas = _experiment_metas(self, model, resolver, include_remote)
                experiments += metas
                if not metas:
                    plain.append(model)
            if not experiments:
                return original(self, plain, tasks, **kwargs)
            from mteb.results import BenchmarkResults

            by_kwargs = {**kwargs, "load_experiments": "match_kwargs"}
            by_kwargs.pop("experiment_kwargs", None)
            found = original(self, experiments, tasks, **by_kwargs)
            rest = original(self, plain, tasks, **kwargs).model_results if plain else []
            return BenchmarkResults(model_results=[*found.model_results, *rest], benchmark=found.benchmark)

        return load_results

    def normalizing(original):
        def _normalize_models(self, models=None):
            before_lookup()
            variant_metas = []
            if models is None:
                try:
                    plain = original(self, None)
                except ValueError:
                    plain = []
                variant_metas = resolver.variant_metas_in(self)
                if not plain and not variant_metas:
                    return original(self, None)
                return [*plain, *variant_metas]
            items = [models] if isinstance(models, str) else list(models)
            rest = []
            for model in items:
                if isinstance(model, str) and resolver.variant_results(model) is not None:
                    metas = _experiment_metas(self, model, resolver, include_remote=False)
                    if not metas:
                        raise ValueError(_no_variant_results(self, model))
                    variant_metas += metas
                else:
                    rest.append(model)
            return [*variant_metas, *(original(self, rest) if rest else [])]

        return _normalize_models

    for attribute, make in (("load_results", loading), ("_normalize_models", normalizing)):
        current = getattr(ResultCache, attribute)
        if getattr(current, _MARK, False):
            continue
        wrapper = functools.wraps(current)(make(current))
        setattr(wrapper, _MARK, True)
        setattr(ResultCache, attribute, wrapper)


def _no_variant_results(cache, model: str) -> str:
    from pathlib import Path

    results = Path(cache.cache_path) / "results"
    return f"Model {model!r} not found in local cache {results}. Please evaluate it first (mteb run -m \"{model}\" ...)."
