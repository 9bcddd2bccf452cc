"""The plugin manager: built-in plugins, entry-point plugins, and what they registered.

One ``pluggy.PluginManager`` per process. The project's own models, prompt styles, backends, estimators,
tasks and commands come from default plugins registered through the same hooks a third party uses. External plugins are the entry
points of the group ``mteb_redundancy``; the environment variable ``MTEB_REDUNDANCY_PLUGINS``
restricts them:

- unset: load every installed plugin;
- a comma-separated list of entry-point names: load only those;
- empty, ``none`` or ``0``: load no external plugin (the built-in ones still load).

A plugin that fails at import or inside a hook is recorded in ``Registry.errors`` (which plugin,
what error) and reported with a warning; the other plugins still load.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.metadata
import logging
import os
import threading
import traceback
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pluggy

from mteb_redundancy import hookspecs
from mteb_redundancy.estimators.registry import Estimator, find_estimator
from mteb_redundancy.models.spec import ModelSpec
from mteb_redundancy.models.styles import PromptStyle

logger = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "mteb_redundancy"
PLUGINS_VARIABLE = "MTEB_REDUNDANCY_PLUGINS"
DEFAULT_PLUGINS = (
    "mteb_redundancy.default_plugins.estimators",
    "mteb_redundancy.default_plugins.styles",
    "mteb_redundancy.default_plugins.backends",
    "mteb_redundancy.default_plugins.models",
    "mteb_redundancy.default_plugins.user_models",
    "mteb_redundancy.default_plugins.commands",
    "mteb_redundancy_tasks.plugin",
)


@dataclass(frozen=True)
class PluginError:
    plugin: str
    stage: str
    error: str
    traceback: str = ""

    def __str__(self) -> str:
        return f"plugin {self.plugin!r} failed {self.stage}: {self.error}"


@dataclass(frozen=True)
class ModelSource:
    """Where a model's weights are. ``path`` is a folder, or a callable that produces one on first
    load (e.g. converts a GGUF file once) and returns it. ``weights`` says how the files differ from
    the hub revision (e.g. a quantized copy); it becomes part of embedding cache keys."""

    path: Path | Callable[[], str | os.PathLike]
    revision: str | None
    plugin: str
    weights: str | None = None

    def resolve(self) -> Path:
        """The weights folder, produced now if the source is lazy."""
        path = Path(self.path() if callable(self.path) else self.path)
        if not path.exists():
            raise FileNotFoundError(f"plugin {self.plugin!r} gave a weights folder that does not exist: {path}")
        return path


@dataclass
class Registry:
    """Everything the plugins registered, and which plugin registered it."""

    styles: dict[str, Any] = field(default_factory=dict)
    estimators: dict[str, Estimator] = field(default_factory=dict)  # in registration order
    estimator_plugins: dict[str, str] = field(default_factory=dict)
    backends: dict[str, Callable[..., Any]] = field(default_factory=dict)
    models: dict[str, ModelSpec] = field(default_factory=dict)
    model_plugins: dict[str, str] = field(default_factory=dict)
    sources: dict[str, ModelSource] = field(default_factory=dict)
    tasks: dict[str, type] = field(default_factory=dict)
    task_plugins: dict[str, str] = field(default_factory=dict)
    plugins: list[str] = field(default_factory=list)
    errors: list[PluginError] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)  # installed plugins that MTEB_REDUNDANCY_PLUGINS kept out
    plugin_manager: pluggy.PluginManager | None = field(default=None, repr=False)

    def source_for(self, model_id: str) -> ModelSource | None:
        return self.sources.get(model_id)


def _selected_entry_point_names() -> set[str] | None:
    """None means every plugin; an empty set means none."""
    value = os.environ.get(PLUGINS_VARIABLE)
    if value is None:
        return None
    value = value.strip()
    if value.lower() in {"", "none", "0"}:
        return set()
    return {name.strip() for name in value.split(",") if name.strip()}


def _plugin_name(pm: pluggy.PluginManager, plugin: object) -> str:
    return pm.get_name(plugin) or getattr(plugin, "__name__", repr(plugin))


def create_plugin_manager(errors: list[PluginError], blocked: list[str] | None = None) -> pluggy.PluginManager:
    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    for module_name in DEFAULT_PLUGINS:
        try:
            pm.register(importlib.import_module(module_name), name=module_name)
        except Exception as error:
            errors.append(PluginError(module_name, "to load", f"{type(error).__name__}: {error}", traceback.format_exc()))

    selected = _selected_entry_point_names()
    for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        if selected is not None and entry_point.name not in selected:
            if blocked is not None:
                blocked.append(entry_point.name)
            continue
        if pm.has_plugin(entry_point.name):
            continue
        try:
            pm.register(entry_point.load(), name=entry_point.name)
        except Exception as error:
            errors.append(
                PluginError(entry_point.name, "to load", f"{type(error).__name__}: {error}", traceback.format_exc())
            )
    return pm


def _call_each(pm: pluggy.PluginManager, hook_name: str, errors: list[PluginError], **kwargs: Any) -> None:
    """Call one hook plugin by plugin, so that one plugin's exception does not hide the others'."""
    # get_hookimpls() lists plugins in registration order: built-in first, entry points after.
    for impl in getattr(pm.hook, hook_name).get_hookimpls():
        name = _plugin_name(pm, impl.plugin)
        bound = {key: value(name) for key, value in kwargs.items()}
        try:
            impl.function(**bound)
        except Exception as error:
            errors.append(PluginError(name, f"in {hook_name}", f"{type(error).__name__}: {error}", traceback.format_exc()))


def _collect(pm: pluggy.PluginManager, errors: list[PluginError]) -> Registry:
    registry = Registry(errors=errors, plugin_manager=pm)
    registry.plugins = [_plugin_name(pm, plugin) for plugin in pm.get_plugins()]

    def style_register(plugin: str) -> Callable[[Any], None]:
        def register(style: PromptStyle) -> None:
            if not isinstance(style, PromptStyle) or not getattr(style, "name", ""):
                raise TypeError(f"register() takes a mteb_redundancy.PromptStyle instance with a name, got {style!r}")
            registry.styles[style.name] = style

        return register

    def estimator_register(plugin: str) -> Callable[[Estimator], None]:
        def register(estimator: Estimator) -> None:
            if not isinstance(estimator, Estimator):
                raise TypeError(
                    f"register() takes a mteb_redundancy.estimators.registry.Estimator, got {type(estimator).__name__}"
                )
            registry.estimators[estimator.name] = estimator
            registry.estimator_plugins[estimator.name] = plugin

        return register

    def backend_register(plugin: str) -> Callable[[str, Callable[..., Any]], None]:
        def register(name: str, factory: Callable[..., Any]) -> None:
            if not isinstance(name, str) or not name or not callable(factory):
                raise TypeError(f"register() takes a name and a factory(spec, location, device), got {name!r}, {factory!r}")
            registry.backends[name] = factory

        return register

    def model_register(plugin: str) -> Callable[[ModelSpec], None]:
        def register(spec: ModelSpec) -> None:
            if not isinstance(spec, ModelSpec):
                raise TypeError(f"register() takes a mteb_redundancy.ModelSpec, got {type(spec).__name__}")
            check_spec(spec, registry)
            registry.models[spec.model_id] = spec
            registry.model_plugins[spec.model_id] = plugin

        return register

    def source_register(plugin: str) -> Callable[..., None]:
        def register(
            model_id: str,
            path: str | os.PathLike | Callable[[], str | os.PathLike],
            revision: str | None = None,
            weights: str | None = None,
        ) -> None:
            if not callable(path):
                path = Path(path)
                if not path.exists():
                    raise FileNotFoundError(f"weights folder for {model_id} does not exist: {path}")
            registry.sources[model_id] = ModelSource(path=path, revision=revision, plugin=plugin, weights=weights)

        return register

    def task_register(plugin: str) -> Callable[[type], None]:
        def register(task_class: type) -> None:
            name = getattr(getattr(task_class, "metadata", None), "name", None)
            if not isinstance(task_class, type) or name is None:
                raise TypeError(f"register() takes an mteb AbsTask subclass with metadata, got {task_class!r}")
            registry.tasks[name] = task_class
            registry.task_plugins[name] = plugin

        return register

    # Built-in plugins are called first, so that an external plugin can replace a built-in model or task.
    # Styles and backends first: a model names them.
    _call_each(pm, "register_prompt_styles", errors, register=style_register)
    _call_each(pm, "register_estimators", errors, register=estimator_register)
    _call_each(pm, "register_backends", errors, register=backend_register)
    _call_each(pm, "register_models", errors, register=model_register)
    _call_each(pm, "register_model_sources", errors, register=source_register)
    _call_each(pm, "register_tasks", errors, register=task_register)
    for error in errors:
        warnings.warn(f"mteb-redundancy: {error}", RuntimeWarning, stacklevel=3)
        logger.debug(error.traceback)
    return registry


def _unknown(kind: str, name: str, known: Iterable[str], model_id: str) -> ValueError:
    known = list(known)
    close = difflib.get_close_matches(str(name), known, n=2)
    hint = f" Did you mean {', '.join(map(repr, close))}?" if close else ""
    return ValueError(f"{model_id}: unknown {kind} {name!r};{hint} choose from {', '.join(known)}.")


def check_spec(spec: ModelSpec, registry: Registry | None = None) -> ModelSpec:
    """Check that the prompt styles and the encoder a ``ModelSpec`` names are registered."""
    registry = registry or get_registry()
    for style in spec.prompt_styles:
        if style not in registry.styles:
            raise _unknown("prompt style", style, registry.styles, spec.model_id)
    if spec.backend not in registry.backends:
        raise _unknown("backend", spec.backend, registry.backends, spec.model_id)
    return spec


def registered_estimators() -> tuple[Estimator, ...]:
    """Every registered estimator, built-in ones first, in registration order."""
    return tuple(get_registry().estimators.values())


def get_estimator(name: str) -> Estimator:
    """The registered estimator called ``name``; an unknown name raises a ValueError naming close ones."""
    return find_estimator(name, registered_estimators())


def add_commands(commands) -> Registry:
    """Let every plugin add its sub-commands to ``commands`` (an argparse sub-parsers object)."""
    registry = get_registry()
    before = len(registry.errors)
    _call_each(registry.plugin_manager, "register_commands", registry.errors, commands=lambda plugin: commands)
    for error in registry.errors[before:]:
        warnings.warn(f"mteb-redundancy: {error}", RuntimeWarning, stacklevel=2)
    return registry


_lock = threading.Lock()
_registry: Registry | None = None


def get_registry(reload: bool = False) -> Registry:
    """The process-wide registry, built on first use."""
    global _registry
    with _lock:
        if _registry is None or reload:
            errors: list[PluginError] = []
            blocked: list[str] = []
            _registry = _collect(create_plugin_manager(errors, blocked), errors)
            _registry.blocked = blocked
        return _registry
