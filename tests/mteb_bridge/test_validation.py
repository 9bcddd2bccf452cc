"""MTEB's own checks of what is registered (``mteb_bridge.validation``, the checks
`mteb-redundancy plugins --check` runs), over everything this project and its first-party plugins
register: a fast, offline subset of mteb's test suite (``tests/test_tasks/test_metadata.py``,
``tests/test_models/test_model_meta.py``, ``tests/test_ensure_no_torch_at_import.py``). MTEB's suite
must stay green with the extension installed; these catch a regression without running it. The checks
are shown to fail on a plugin whose task leaves metadata empty, and on variants with broken fields."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent

@pytest.fixture(scope="module")
def report(mteb_module):
    from mteb_redundancy.registration import check_plugins

    return check_plugins()


def test_the_projects_own_plugins_pass_mtebs_checks(mteb_module, report):
    from mteb_redundancy.plugins import get_registry

    registry = get_registry()
    assert not report.failures, "\n".join(map(str, report.failures[:20]))
    # what was checked: every task MTEB lists for the plugins, and every variant
    assert {"mteb_redundancy_tasks.plugin", "mteb_redundancy.default_plugins.models", "offline_models"} <= set(registry.plugins)
    listed = mteb_module.get_tasks(tasks=list(registry.tasks), exclude_superseded=False, exclude_aggregate=False, exclude_beta=False)
    assert sorted(report.tasks) == sorted(t.metadata.name for t in listed) and len(report.tasks) >= 9
    assert len(report.models) > 500


def test_one_plugins_check_covers_the_models_it_gives_weights_to(mteb_module):
    from mteb_redundancy.registration import check_plugins

    offline = check_plugins("offline_models")
    assert not offline.failures and not offline.tasks
    assert any(name.startswith("sentence-transformers/all-MiniLM-L6-v2 (") for name in offline.models)
    with pytest.raises(ValueError, match="Did you mean 'offline_models'"):
        check_plugins("ofline_models")


def test_a_task_with_empty_metadata_fields_fails_by_field(mteb_module):
    from mteb.abstasks.classification import AbsTaskClassification
    from mteb.abstasks.task_metadata import TaskMetadata

    from mteb_redundancy.mteb_bridge.validation import task_failures

    class HalfFilled(AbsTaskClassification):
        metadata = TaskMetadata(
            name="HalfFilledTopics", description="Topics.", dataset={"path": "my-org/topics", "revision": "1"},
            type="Classification", category="t2c", main_score="accuracy", eval_langs=["eng-Latn"],
            prompt={"query": "Classify"},
        )

    failures = task_failures(HalfFilled, "my-plugin")
    assert {(f.plugin, f.kind, f.name) for f in failures} == {("my-plugin", "task", "HalfFilledTopics")}
    assert {f.field for f in failures} == {
        "name",  # never registered with MTEB
        "reference", "date", "domains", "task_subtypes", "license", "annotations_creators", "dialect",
        "sample_creation", "bibtex_citation", "prompt", "descriptive_stats",
    }


def test_variants_with_broken_fields_fail_by_field(mteb_module):
    from mteb_redundancy.models.variants import load_variant
    from mteb_redundancy.mteb_bridge.registries import metas_loaded_by
    from mteb_redundancy.mteb_bridge.validation import model_failures

    metas = metas_loaded_by(load_variant)
    key = "sentence-transformers/all-MiniLM-L6-v2 (prompt=none, dim=64)"
    good = metas[key]
    broken = {
        "no revision": good.model_copy(update={"revision": None}),
        "adapted from itself": good.model_copy(update={"adapted_from": good.name}),
        "no experiment": good.model_copy(update={"experiment_kwargs": None}),
        "its twin": metas[key],
        "no embedding parameters": good.model_copy(update={"name": "my-org/unknown-to-mteb", "n_embedding_parameters": None}),
    }
    failures = model_failures({key: good, **broken}, lambda name: "my-plugin")
    fields: dict[str, set] = {}
    for failure in failures:
        fields.setdefault(failure.name, set()).add(failure.field)
    # the copies are not registered with MTEB, so MTEB's model-type filter does not list them either
    assert fields == {
        "no revision": {"revision", "model_type"},
        "adapted from itself": {"adapted_from", "experiment_kwargs", "model_type"},  # and the same folder as the original
        "no experiment": {"experiment_kwargs", "model_type"},
        "its twin": {"experiment_kwargs"},  # the same result folder as the variant it is
        "no embedding parameters": {"n_embedding_parameters", "model_type"},
    }, failures
    assert all(f.plugin == "my-plugin" and f.kind == "model" for f in failures)


HALF_FILLED_PLUGIN = '''
from mteb.abstasks.classification import AbsTaskClassification
from mteb.abstasks.task_metadata import TaskMetadata
from mteb_redundancy import hookimpl


class HalfFilledTopics(AbsTaskClassification):
    metadata = TaskMetadata(name="HalfFilledTopics", description="Topics of short texts.",
                            dataset={"path": "my-org/topics", "revision": "1"}, type="Classification",
                            category="t2c", main_score="accuracy", eval_langs=["eng-Latn"],
                            reference="https://example.org/topics", date=("2020-01-01", "2020-12-31"))


@hookimpl
def register_tasks(register):
    register(HalfFilledTopics)
'''


def installed_plugin(site: Path, name: str, source: str) -> Path:
    """A plugin installed into ``site`` as pip installs one: the module and its dist-info with the entry point."""
    (site / name).mkdir(parents=True)
    (site / name / "__init__.py").write_text(source)
    info = site / f"{name}-0.0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name.replace('_', '-')}\nVersion: 0.0.1\n")
    (info / "entry_points.txt").write_text(f"[mteb_redundancy]\n{name} = {name}\n")
    return site


def test_plugins_check_names_the_plugin_the_task_and_each_empty_field(tmp_path):
    site = installed_plugin(tmp_path / "site", "half_filled_plugin", HALF_FILLED_PLUGIN)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}
    command = [str(BIN / "mteb-redundancy"), "plugins", "--check", "half_filled_plugin"]
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 1, result.stdout + result.stderr[-3000:]
    failed = [line for line in result.stdout.splitlines() if line.startswith("FAIL ")]
    prefix = "FAIL plugin 'half_filled_plugin', task 'HalfFilledTopics', field "
    assert all(line.startswith(prefix) for line in failed), failed
    fields = {line[len(prefix):].split(":")[0] for line in failed}
    assert fields == {"domains", "task_subtypes", "license", "annotations_creators", "dialect", "sample_creation",
                      "bibtex_citation", "descriptive_stats"}
    assert f"{len(failed)} of MTEB's checks failed on 1 tasks and 0 model variants of plugin 'half_filled_plugin'" in result.stdout

    mine = subprocess.run([*command[:-1], "mteb_redundancy_tasks.plugin"], capture_output=True, text=True, env=env, timeout=600)
    assert mine.returncode == 0 and "FAIL" not in mine.stdout, mine.stdout[-3000:] + mine.stderr[-3000:]


def test_plugins_check_reports_a_plugin_that_fails_to_load(tmp_path):
    site = installed_plugin(tmp_path / "site", "unloadable_plugin", "raise RuntimeError('broken at import')\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}
    command = [str(BIN / "mteb-redundancy"), "plugins", "--check", "unloadable_plugin"]
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 1, result.stdout + result.stderr[-3000:]
    assert "FAIL plugin 'unloadable_plugin' failed to load: RuntimeError: broken at import" in result.stdout


def test_descriptive_statistics_describe_the_tasks_data(mteb_module):
    # the cheap ones; the statistics of every task are written the same way
    for name, split, n in (("RedundancyWikiSmall", "test", 1000), ("InstructionDisplacementWiki", "test", 200)):
        task = mteb_module.get_task(name)
        assert task.metadata.n_samples[split] == n
        task.load_data()
        assert len(task.dataset[split]) == n


def test_importing_mteb_imports_no_torch():
    code = "import sys, mteb; mteb.get_model_metas(); mteb.get_tasks(); print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.stdout.strip() == "False", result.stderr[-2000:]
