"""MTEB's own checks of a registered task or model, as a library: the offline subset of MTEB's test
suite that a plugin author can run before publishing (``mteb-redundancy plugins --check``) and that
the project's tests run on its own plugins.

- tasks: MTEB's ``tests/test_tasks/test_metadata.py`` (``test_all_metadata_is_filled_and_valid``:
  valid languages, every metadata field filled, no remote code, descriptive statistics), and that
  MTEB lists the task under its name;
- models: MTEB's ``tests/test_models/test_model_meta.py`` (a name and a revision, training datasets
  that can be derived, ``n_embedding_parameters``, the model-type filter), and what results need: the
  meta survives the JSON round trip of a result folder, and each variant is an experiment of its own
  whose folder names stay single names.

Nothing is downloaded and no model is loaded. Each problem is a :class:`Failure` naming the object
and the field; which plugin registered what is the caller's to say (``registration.check_plugins``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from mteb_redundancy.mteb_bridge.registries import model_registry, task_registry
from mteb_redundancy.mteb_bridge.results_layout import UnsafePathError, check_meta_paths

# TaskMetadata fields that MTEB's TaskMetadata.is_filled() allows to be None
OPTIONAL_TASK_FIELDS = frozenset({"prompt", "adapted_from", "contributed_by", "superseded_by"})


@dataclass(frozen=True)
class Failure:
    """One failed check: which plugin registered the object, the object (``task`` or ``model`` and
    its name), the field, and what is wrong with it."""

    plugin: str
    kind: str
    name: str
    field: str
    problem: str

    def __str__(self) -> str:
        if self.kind == "plugin":  # the plugin itself failed (to load, or in a hook): the field is the stage
            return f"plugin {self.plugin!r} failed {self.field}: {self.problem}"
        return f"plugin {self.plugin!r}, {self.kind} {self.name!r}, field {self.field}: {self.problem}"


@dataclass
class CheckReport:
    """What was checked (task names, model names) and what failed."""

    tasks: list[str] = field(default_factory=list)
    models: list[str] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)


# ----------------------------------------------------------------------------------------------
# tasks


def task_failures(task_class: type, plugin: str) -> list[Failure]:
    """MTEB's metadata checks of one registered task class."""
    from mteb.abstasks import AbsTaskRetrieval

    metadata = task_class.metadata
    name = metadata.name
    found: list[Failure] = []

    def fail(attribute: str, problem: str) -> None:
        found.append(Failure(plugin, "task", name, attribute, problem))

    if task_registry().get(name) is not task_class:
        fail("name", "MTEB does not list the task under this name (a name MTEB's own tasks use, or not a single file name); rename it")
    try:
        metadata._validate_metadata()
    except Exception as error:  # MTEB raises a bare ValueError or KeyError for an unknown language
        fail("eval_langs", f"{type(error).__name__}: {error}")
    empty = [f for f in type(metadata).model_fields if f not in OPTIONAL_TASK_FIELDS and getattr(metadata, f) is None]
    for attribute in empty:
        fail(attribute, "is empty (None); MTEB requires every metadata field but prompt, adapted_from, contributed_by and superseded_by")
    if not empty and not metadata.is_filled():  # MTEB asks for a field this list does not know
        fail("metadata", "MTEB's TaskMetadata.is_filled() is False")
    if metadata.dataset.get("trust_remote_code", False) is not False:
        fail("dataset", "trust_remote_code must be False: MTEB runs no dataset's own code")
    try:
        simplified = metadata.simplified_task_type
    except Exception as error:
        simplified = error
    if not isinstance(simplified, str):
        fail("type", f"MTEB finds no simplified task type for {metadata.type!r} ({simplified})")
    if isinstance(metadata.prompt, dict) and not issubclass(task_class, AbsTaskRetrieval):
        fail("prompt", "a prompt per side (a dict) is for retrieval tasks only; give one string")
    try:
        aggregate = task_class().is_aggregate  # as MTEB's get_tasks makes it: cheap, no data loaded
    except Exception as error:
        fail("class", f"MTEB cannot create the task: {type(error).__name__}: {error}")
        aggregate = False
    if not aggregate:
        if metadata.descriptive_stats is None:
            fail(
                "descriptive_stats",
                f"no descriptive statistics at {metadata.descriptive_stat_path}; write them with "
                f"`mteb.get_task({name!r}).calculate_descriptive_statistics()` and ship the file with the task",
            )
        elif not metadata.n_samples:
            fail("n_samples", f"the descriptive statistics at {metadata.descriptive_stat_path} give no sample counts")
    return found


# ----------------------------------------------------------------------------------------------
# models


def _mtebs_own_meta(meta):
    """MTEB's own ``ModelMeta`` of a variant's base model, or None where MTEB does not know it."""
    base = model_registry().get(meta.name)
    if base is None or base.loader is meta.loader or base.experiment_kwargs is not None:
        return None
    return base


def model_failures(metas: Mapping[str, object], plugin_of: Callable[[str], str]) -> list[Failure]:
    """MTEB's model-meta checks of registered ``ModelMeta``s, by registered name; ``plugin_of(name)``
    names the plugin that registered it."""
    import mteb
    from mteb.models import ModelMeta

    found: list[Failure] = []
    types = {t for meta in metas.values() for t in meta.model_type or []}
    listed = {t: {id(m) for m in mteb.get_model_metas(model_types=[t])} for t in types}
    folders: dict[tuple, str] = {}
    derived: dict[tuple, str | None] = {}
    for key, meta in metas.items():

        def fail(attribute: str, problem: str, key=key) -> None:
            found.append(Failure(plugin_of(key), "model", key, attribute, problem))

        for attribute in ("name", "revision"):
            if getattr(meta, attribute) is None:
                fail(attribute, "is empty (None); MTEB requires it of every model")
        if meta.name is not None and meta.name == meta.adapted_from:
            fail("adapted_from", "is the model's own name (a variant is an experiment of its base model, not adapted from it)")
        else:
            # the variants of one model share these fields, and deriving is slow (MTEB looks names up)
            facts = (meta.name, meta.adapted_from, repr(sorted(meta.training_datasets or ())))
            if facts not in derived:
                try:
                    meta.get_training_datasets()
                    derived[facts] = None
                except Exception as error:
                    derived[facts] = f"MTEB cannot derive them: {type(error).__name__}: {error}"
            if derived[facts]:
                fail("training_datasets", derived[facts])
        if meta.open_weights and "text" in meta.modalities:
            base = _mtebs_own_meta(meta)
            if base is not None and meta.n_embedding_parameters != base.n_embedding_parameters:
                fail("n_embedding_parameters", f"{meta.n_embedding_parameters}, where MTEB's {meta.name} has {base.n_embedding_parameters}")
            elif base is None and meta.n_embedding_parameters is None:
                fail("n_embedding_parameters", "is empty; MTEB requires it of every open text model it does not already list")
        if not meta.model_type:
            fail("model_type", "is empty; MTEB filters models by it")
        for model_type in [t for t in meta.model_type or [] if id(meta) not in listed[t]]:
            fail("model_type", f"mteb.get_model_metas(model_types=[{model_type!r}]) does not list it")
        try:
            check_meta_paths(meta)
        except UnsafePathError as error:
            fail("revision" if "revision" in str(error) else "name", str(error))
        if not meta.experiment_kwargs or not meta.experiment_name:
            fail("experiment_kwargs", "a variant must be an MTEB experiment of its base model (its options as experiment_kwargs)")
        else:
            folder = (meta.name, meta.revision, meta.experiment_name)
            if folder in folders:
                fail("experiment_kwargs", f"the same result folder as {folders[folder]!r}: {'/'.join(map(str, folder))}")
            folders.setdefault(folder, key)
        try:
            loaded = ModelMeta.model_validate_json_resolved(json.dumps(meta.to_dict(), default=str))
        except Exception as error:
            fail("model_meta.json", f"MTEB cannot read back the meta it writes beside the results: {type(error).__name__}: {error}")
        else:
            if (loaded.name, loaded.revision, loaded.experiment_name) != (meta.name, meta.revision, meta.experiment_name):
                fail("model_meta.json", "reads back as another model or experiment")
            elif loaded.loader is not meta.loader:
                fail("loader", "MTEB's model_meta.json does not lead back to the loader")
    return found
