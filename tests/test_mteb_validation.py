"""MTEB's own checks of what is registered, run over everything this project and its first-party
plugins register (a fast, offline subset of mteb's test suite: ``tests/test_tasks/test_metadata.py``,
``tests/test_models/test_model_meta.py``, ``tests/test_ensure_no_torch_at_import.py``). MTEB's suite
must stay green with the extension installed; these catch a regression without running it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


@pytest.fixture(scope="module")
def registry(mteb_module):
    from mteb_redundancy.plugins import get_registry

    return get_registry()


@pytest.fixture(scope="module")
def variant_metas(mteb_module) -> dict:
    from mteb_redundancy.models.variants import load_variant
    from mteb_redundancy.mteb_bridge.registries import metas_loaded_by

    metas = metas_loaded_by(load_variant)
    assert len(metas) > 500
    return metas


def mteb_base_meta(mteb_module, name):
    """MTEB's own ModelMeta of a base model, or None where MTEB does not know it."""
    from mteb.models.model_implementations import MODEL_REGISTRY

    meta = MODEL_REGISTRY.get(name)
    return meta if meta is not None and meta.experiment_kwargs is None else None


# --------------------------------------------------------------------------------------------
# tasks: mteb's test_all_metadata_is_filled_and_valid
# --------------------------------------------------------------------------------------------
def test_every_task_passes_mtebs_metadata_checks(mteb_module, registry):
    from mteb.abstasks import AbsTaskRetrieval

    assert registry.tasks
    listed = mteb_module.get_tasks(tasks=list(registry.tasks), exclude_superseded=False, exclude_aggregate=False, exclude_beta=False)
    assert sorted(t.metadata.name for t in listed) == sorted(registry.tasks)
    for task in listed:
        name, metadata = task.metadata.name, task.metadata
        metadata._validate_metadata()
        assert metadata.is_filled(), (name, [f for f in type(metadata).model_fields if getattr(metadata, f) is None])
        assert metadata.dataset.get("trust_remote_code", False) is False, name
        assert isinstance(metadata.simplified_task_type, str), name
        assert metadata.descriptive_stats is not None, f"{name}: no descriptive statistics"
        assert metadata.n_samples, name
        if isinstance(metadata.prompt, dict):
            assert isinstance(task, AbsTaskRetrieval), name


def test_descriptive_statistics_describe_the_tasks_data(mteb_module):
    # the cheap ones; the statistics of every task are written the same way
    for name, split, n in (("RedundancyWikiSmall", "test", 1000), ("InstructionDisplacementWiki", "test", 200)):
        task = mteb_module.get_task(name)
        assert task.metadata.n_samples[split] == n
        task.load_data()
        assert len(task.dataset[split]) == n


# --------------------------------------------------------------------------------------------
# models: mteb's test_model_meta.py
# --------------------------------------------------------------------------------------------
def test_every_variant_has_a_name_and_a_revision(variant_metas):
    missing = [key for key, meta in variant_metas.items() if meta.name is None or meta.revision is None]
    assert not missing, missing[:5]


def test_training_datasets_can_be_derived(variant_metas):
    for key, meta in variant_metas.items():
        assert meta.name != meta.adapted_from, key
        meta.get_training_datasets()


def test_n_embedding_parameters_as_mteb_asks(mteb_module, variant_metas):
    """MTEB: a model that is not in its historic list must have n_embedding_parameters, and one
    that is must not. A variant carries its base model's name, so it follows the base model."""
    for key, meta in variant_metas.items():
        if not meta.open_weights or "text" not in meta.modalities:
            continue
        base = mteb_base_meta(mteb_module, meta.name)
        if base is not None:
            assert meta.n_embedding_parameters == base.n_embedding_parameters, key
        else:
            assert meta.n_embedding_parameters is not None, key


@pytest.mark.filterwarnings("ignore:is_cross_encoder is deprecated:DeprecationWarning")
def test_metas_round_trip_as_result_folders_store_them(mteb_module, variant_metas):
    from mteb.models import ModelMeta

    for meta in list(variant_metas.values())[::7]:
        hash(meta)
        text = json.dumps(meta.to_dict(), default=str)
        loaded = ModelMeta.model_validate_json_resolved(text)
        assert (loaded.name, loaded.revision, loaded.experiment_name) == (meta.name, meta.revision, meta.experiment_name)
        assert loaded.loader is meta.loader


def test_every_variant_is_its_own_experiment_in_a_safe_folder(variant_metas):
    from mteb_redundancy.mteb_bridge.results_layout import check_meta_paths

    folders = {}
    for key, meta in variant_metas.items():
        check_meta_paths(meta)
        assert meta.experiment_kwargs and meta.experiment_name, key
        folders.setdefault((meta.name, meta.revision, meta.experiment_name), []).append(key)
    shared = {folder: keys for folder, keys in folders.items() if len(keys) > 1}
    assert not shared, list(shared.items())[:3]


def test_model_type_filters_see_the_variants(mteb_module, variant_metas):
    dense = mteb_module.get_model_metas(model_types=["dense"])
    assert sum(meta.loader is next(iter(variant_metas.values())).loader for meta in dense) == len(variant_metas)


def test_importing_mteb_imports_no_torch():
    code = "import sys, mteb; mteb.get_model_metas(); mteb.get_tasks(); print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.stdout.strip() == "False", result.stderr[-2000:]
