"""Variants and tasks reach MTEB's own registries; bad names fail clearly."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

BASE = "sentence-transformers/all-MiniLM-L6-v2"


def test_each_variant_is_an_experiment_of_its_base_model(mteb_module):
    base = mteb_module.get_model_meta(BASE)
    meta = mteb_module.get_model_meta(f"{BASE} (prompt=none, dim=64)")
    assert meta.embed_dim == 64
    assert (meta.name, meta.adapted_from) == (BASE, base.adapted_from)
    assert meta.experiment_kwargs == {"prompt": "none", "dim": 64}
    assert meta.model_name_with_experiment == f"{BASE} (dim=64, prompt=none)"  # MTEB's spelling: keys sorted
    assert (meta.n_parameters, meta.license, meta.revision) == (base.n_parameters, base.license, base.revision)
    assert mteb_module.get_model_meta(f"{BASE} (prompt=instruction)").embed_dim == 384
    pca = mteb_module.get_model_meta(f"{BASE} (prompt=prefix, dim=8, reduction=pca)")
    assert (pca.embed_dim, pca.experiment_name) == (8, "dim_8__prompt_prefix__reduction_pca")
    assert mteb_module.get_model_meta(BASE) is base  # MTEB's own model is untouched


@pytest.mark.parametrize(
    "spelling",
    [
        f"{BASE} (prompt=none, dim=64)",
        f"{BASE} (dim=64, prompt=none)",  # MTEB's model_name_with_experiment
        f"{BASE}  (prompt=none,  dim=64)",
        f"{BASE}(prompt = none , dim = 64)",
        f"{BASE} (prompt=none, dim=64, reduction=first)",
        f"{BASE} (reduction=first, dim=64, prompt=none)",
        f"{BASE} (PROMPT=none, DIM=64)",
        f"{BASE} (prompt=none, embed_dim=64)",
        f"{BASE.upper()} (prompt=none, dim=64)",
    ],
)
def test_any_spelling_of_a_variant_is_the_same_variant(mteb_module, spelling):
    from mteb_redundancy.models.variants import canonical_name

    canonical = f"{BASE} (prompt=none, dim=64)"
    assert mteb_module.get_model_meta(spelling) is mteb_module.get_model_meta(canonical)
    assert canonical_name(spelling) == canonical
    assert [m.experiment_name for m in mteb_module.get_model_metas([spelling])] == ["dim_64__prompt_none"]


def test_a_variant_is_reached_as_an_experiment_of_its_base_model(mteb_module):
    variant = mteb_module.get_model_meta(f"{BASE} (prompt=none, dim=64)")
    assert mteb_module.get_model_meta(BASE, experiment_kwargs={"prompt": "none", "dim": 64}) is variant
    model = mteb_module.get_model(BASE, prompt="none", dim=64, device="cpu")  # MTEB's experiment call
    assert type(model).__name__ == "VariantEncoder"
    assert (model.mteb_model_meta.name, model.mteb_model_meta.experiment_name) == (BASE, "dim_64__prompt_none")
    # MTEB's own experiments stay MTEB's
    plain = mteb_module.get_model_meta("mteb/baseline-random-encoder", experiment_kwargs={"array_framework": "pytorch"})
    assert plain.experiment_kwargs == {"array_framework": "pytorch"}


def test_explicit_defaults_are_the_default_variant(mteb_module):
    full = mteb_module.get_model_meta(f"{BASE} (prompt=prefix)")
    for spelling in (f"{BASE} (prompt=prefix, dim=384)", f"{BASE} (prompt=prefix, dim=full)",
                     f"{BASE} (prompt=prefix, reduction=random)", f"{BASE} (prompt=prefix, precision=auto)"):
        assert mteb_module.get_model_meta(spelling) is full, spelling
    assert mteb_module.get_model_meta(f"{BASE} (dim=384, prompt=prefix, reduction=pca)") is full
    bf16 = mteb_module.get_model_meta(f"{BASE} (prompt=prefix, precision=bfloat16)")
    assert bf16.experiment_kwargs == {"prompt": "prefix", "precision": "bfloat16"}


@pytest.mark.parametrize(
    "name, expected",
    [
        (f"{BASE} (dim=64)", "missing options ['prompt']"),
        (f"{BASE} (prompt=none, dim=64, colour=red)", "unknown or missing options ['colour']"),
        (f"{BASE} (prompt=none, dim=sixty)", "dim must be a whole number"),
        (f"{BASE} (prompt=none, reduction=svd, dim=8)", "Unknown reduction 'svd'"),
        (f"{BASE} (prompt=none, precision=int4)", "Unknown precision 'int4'"),
        (f"{BASE} (prompt=none, dim=8, dim=16)", "given twice"),
        ("my-org/unregistered-model (prompt=none)", "No mteb-redundancy plugin registered the model"),
    ],
)
def test_unresolvable_names_fail_clearly_and_never_reach_the_hub(mteb_module, name, expected, monkeypatch):
    from mteb.models import ModelMeta

    def no_hub(*args, **kwargs):
        raise AssertionError("the model hub was asked")

    monkeypatch.setattr(ModelMeta, "from_hub", no_hub)
    with pytest.raises(KeyError) as error:
        mteb_module.get_model(name)
    assert expected in str(error.value)
    if "my-org" not in name:
        assert f"{BASE} (prompt=none" in str(error.value)  # the closest registered names


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


# Every public MTEB entry point that lists or looks up models or tasks, after the given imports.
ENTRY_POINTS = f"""
import json, pathlib, sys, tempfile
import mteb
from mteb.results import TaskResult

names = [m.model_name_with_experiment for m in mteb.get_model_metas()]
tasks = [t.metadata.name for t in mteb.get_tasks()]
folder = pathlib.Path(tempfile.mkdtemp())
task = mteb.get_task("RedundancyWikiSmall")
result = TaskResult.from_task_results(task, {{"test": {{"default": {{"main_score": 1.0}}}}}}, evaluation_time=0.0)
meta = mteb.get_model_meta("{BASE} (prompt=none, dim=8)")
mteb.ResultCache(folder).save_to_cache(result, meta)
loaded = mteb.ResultCache(folder).load_results(models=["{BASE} (dim=8, prompt=none)"], include_remote=False,
                                               validate_and_filter=True)
print(json.dumps({{
    "models": len(names),
    "variant listed": "{BASE} (dim=8, prompt=none)" in names,
    "variant meta": meta.experiment_name,
    "get_model_metas": [m.experiment_name for m in mteb.get_model_metas(["{BASE} (prompt=none, dim=8)"])],
    "tasks": "RedundancyWikiSmall" in tasks and "WikiTopicClassification" in tasks,
    "get_task": task.metadata.name,
    "result cache": [(r.model_name, r.experiment_name, len(r.task_results)) for r in loaded.model_results],
}}))
"""


def entry_points_after(first: str, folder: Path) -> dict:
    (folder / "user_module.py").write_text("import mteb\n\nLOOKED_UP = None\n")
    code = first.format(user_module="user_module") + "\n" + ENTRY_POINTS
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=folder)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def mteb_first(tmp_path_factory) -> dict:
    seen = entry_points_after("", tmp_path_factory.mktemp("mteb-first"))
    assert seen["variant listed"] and seen["tasks"] and seen["get_task"] == "RedundancyWikiSmall"
    assert seen["variant meta"] == "dim_8__prompt_none" and seen["get_model_metas"] == ["dim_8__prompt_none"]
    assert seen["result cache"] == [[BASE, "dim_8__prompt_none", 1]]
    assert seen["models"] > 1500
    return seen


@pytest.mark.parametrize(
    "first",
    [
        "import mteb_redundancy",
        "import mteb_redundancy_tasks.redundancy",
        "from mteb_redundancy.analyses.sweep.engine import run_sweep",
        "import mteb_redundancy.models.variants",
        "import {user_module}",  # a module of the user's with `import mteb` at its top
    ],
    ids=["mteb_redundancy first", "task module first", "sweep engine first", "variants first", "user module first"],
)
def test_registration_does_not_depend_on_import_order(first, mteb_first, tmp_path):
    assert entry_points_after(first, tmp_path) == mteb_first
