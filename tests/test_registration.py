"""Variants and tasks reach MTEB's own registries; bad names fail clearly."""

import subprocess
import sys

import pytest

BASE = "sentence-transformers/all-MiniLM-L6-v2"


def test_each_variant_has_its_own_name_and_its_base_models_facts(mteb_module):
    base = mteb_module.get_model_meta(BASE)
    meta = mteb_module.get_model_meta(f"{BASE} (prompt=none, dim=64)")
    assert meta.embed_dim == 64
    assert meta.adapted_from == BASE
    assert (meta.n_parameters, meta.license, meta.revision) == (base.n_parameters, base.license, base.revision)
    assert mteb_module.get_model_meta(f"{BASE} (prompt=instruction)").embed_dim == 384
    assert mteb_module.get_model_meta(f"{BASE} (prompt=prefix, dim=8, reduction=pca)").embed_dim == 8


def test_a_dimension_off_the_grid_resolves_on_demand(mteb_module):
    meta = mteb_module.get_model_meta(f"{BASE} (prompt=none, dim=100, reduction=random)")
    assert meta.embed_dim == 100


def test_unknown_names_get_the_closest_registered_names(mteb_module):
    with pytest.raises(KeyError) as error:
        mteb_module.get_model(f"{BASE.replace('MiniLM', 'MiniLN')} (prompt=none, dim=64)")
    assert f"{BASE} (prompt=none, dim=64)" in str(error.value)
    with pytest.raises(KeyError, match="registered styles: none, prefix, instruction, instructor"):
        mteb_module.get_model(f"{BASE} (prompt=prompt-eol)")


def test_a_dimension_above_the_models_names_it(mteb_module):
    with pytest.raises(ValueError, match="embedding dimension 384"):
        mteb_module.get_model(f"{BASE} (prompt=none, dim=512)")
    with pytest.raises(ValueError, match="at least 1"):
        mteb_module.get_model(f"{BASE} (prompt=none, dim=0)")


def test_project_tasks_are_mteb_tasks(mteb_module):
    task = mteb_module.get_task("WikiTopicClassification")
    assert task.metadata.type == "Classification"
    assert "WikiTopicClassification" in [t.metadata.name for t in mteb_module.get_tasks(task_types=["Classification"])]


def run_python(code: str, **env_overrides) -> subprocess.CompletedProcess:
    import os

    env = {**os.environ, **env_overrides}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)


def test_the_startup_hook_imports_nothing_heavy_and_registers_when_mteb_is_imported():
    startup = run_python("import sys; print(sorted(m for m in sys.modules if 'mteb' in m))")
    assert startup.stdout.strip() == "['_mteb_redundancy_autoload']", startup.stderr
    plain_mteb = run_python(f"import mteb; print(mteb.get_model_meta('{BASE} (prompt=none, dim=64)').embed_dim)")
    assert plain_mteb.stdout.strip().endswith("64"), plain_mteb.stderr


def test_registering_twice_changes_nothing(mteb_module):
    import importlib

    from mteb_redundancy.registration import register_all

    tasks_module = importlib.import_module("mteb.get_tasks")
    before = (len(tasks_module.TASK_LIST), len(importlib.import_module("mteb.models.model_implementations").MODEL_REGISTRY))
    register_all()
    import _mteb_redundancy_autoload

    _mteb_redundancy_autoload.install()
    after = (len(tasks_module.TASK_LIST), len(importlib.import_module("mteb.models.model_implementations").MODEL_REGISTRY))
    assert before == after


def test_importing_a_task_module_before_mteb_still_registers_everything():
    # `import mteb` then happens inside the task module's own import; registering at that moment
    # would miss the half-loaded module, so registration waits for MTEB's first lookup.
    code = (
        "import mteb_redundancy_tasks.classification, mteb; "
        "print(mteb.get_task('WikiTopicClassification').metadata.name, "
        f"mteb.get_model_meta('{BASE} (prompt=none, dim=8)').embed_dim)"
    )
    result = run_python(code)
    assert result.stdout.split() == ["WikiTopicClassification", "8"], result.stderr[-2000:]
