"""A variant's results are an MTEB experiment of its base model: where MTEB writes them, how
ResultCache (with and without the extension) reads them back, `mteb submit-results` and
`mteb mock-run` on a variant, and result-folder names that must not leave the output folder. Real MTEB, real all-MiniLM-L6-v2, MTEB's
own mock tasks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import MINILM

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.UndefinedMetricWarning")

BIN = Path(sys.executable).parent
REVISION = "8b3219a92973c328a8e22fadcfa821b5dc75636a"
INSTRUCTION_32 = f"{MINILM} (prompt=instruction, dim=32)"
NONE = f"{MINILM} (prompt=none)"
BASE_FOLDER = "sentence-transformers__all-MiniLM-L6-v2"


def mock_tasks():
    from mteb.mocks.mock_tasks import MockClassificationTask, MockRetrievalTask

    return [MockClassificationTask(), MockRetrievalTask()]


@pytest.fixture(scope="module")
def evaluated(mteb_module, tmp_path_factory) -> Path:
    """Two variants, loaded through `mteb.get_model`, evaluated by MTEB on two of its mock tasks."""
    out = tmp_path_factory.mktemp("experiments")
    for name in (INSTRUCTION_32, NONE):
        model = mteb_module.get_model(name, device="cpu")
        outcome = mteb_module.evaluate(model, mock_tasks(), cache=mteb_module.ResultCache(out), co2_tracker=False,
                                       show_progress_bar=False)
        assert not outcome.exceptions
    return out


def test_results_are_in_the_base_models_experiments_folder(evaluated):
    model_folders = sorted(p.name for p in (evaluated / "results").iterdir())
    assert model_folders == [BASE_FOLDER]  # no folder named after a variant
    experiments = evaluated / "results" / BASE_FOLDER / REVISION / "experiments"
    assert sorted(p.name for p in experiments.iterdir()) == ["dim_32__prompt_instruction", "prompt_none"]
    meta = json.loads((experiments / "dim_32__prompt_instruction" / "model_meta.json").read_text())
    assert (meta["name"], meta["revision"], meta["embed_dim"]) == (MINILM, REVISION, 32)
    assert meta["experiment_kwargs"] == {"prompt": "instruction", "dim": 32}
    assert meta["loader_kwargs"] == {"variant": INSTRUCTION_32}
    for task in mock_tasks():
        assert (experiments / "dim_32__prompt_instruction" / f"{task.metadata.name}.json").exists()


def test_result_cache_groups_them_under_the_base_model(mteb_module, evaluated):
    cache = mteb_module.ResultCache(evaluated)
    results = cache.load_results(include_remote=False, load_experiments="match_name")
    grouped = {(r.model_name, r.model_revision, r.experiment_name): r for r in results.model_results}
    assert set(grouped) == {(MINILM, REVISION, "dim_32__prompt_instruction"), (MINILM, REVISION, "prompt_none")}
    for result in grouped.values():
        assert len(result.task_results) == 2
        # MTEB's display name of the experiment resolves to the very variant that wrote it
        shown = result.model_meta.model_name_with_experiment
        assert mteb_module.get_model_meta(shown).experiment_name == result.experiment_name
    assert grouped[(MINILM, REVISION, "dim_32__prompt_instruction")].model_meta.model_name_with_experiment == (
        f"{MINILM} (dim=32, prompt=instruction)"
    )
    # MTEB's own selections
    assert not cache.load_results(include_remote=False, load_experiments="no_experiments").model_results
    by_meta = cache.load_results(models=[mteb_module.get_model_meta(INSTRUCTION_32)], include_remote=False)
    assert [r.experiment_name for r in by_meta.model_results] == ["dim_32__prompt_instruction"]
    by_kwargs = cache.load_results(include_remote=False, experiment_kwargs={"prompt": "none"})
    assert [r.experiment_name for r in by_kwargs.model_results] == ["prompt_none"]
    # and by the variant's name, in any spelling
    by_name = cache.load_results(models=[f"{MINILM} (dim=32, prompt=instruction)"], include_remote=False)
    assert [(r.model_name, r.experiment_name) for r in by_name.model_results] == [(MINILM, "dim_32__prompt_instruction")]


def test_plain_mteb_reads_them_without_the_extension(evaluated):
    code = (
        "import json, sys, mteb\n"
        f"results = mteb.ResultCache({str(evaluated)!r}).load_results(include_remote=False, load_experiments='match_name')\n"
        "print(json.dumps({'extension loaded': any(m.startswith('mteb_redundancy') for m in sys.modules),\n"
        "    'results': sorted([r.model_meta.model_name_with_experiment, sorted(t.task_name for t in r.task_results),\n"
        "                       [round(t.get_score(), 6) for t in sorted(r.task_results, key=lambda t: t.task_name)]]\n"
        "                      for r in results.model_results)}))\n"
    )
    env = {**os.environ, "MTEB_REDUNDANCY_AUTOLOAD": "0"}
    plain = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert plain.returncode == 0, plain.stderr[-3000:]
    seen = json.loads(plain.stdout.strip().splitlines()[-1])
    assert seen["extension loaded"] is False
    names = [entry[0] for entry in seen["results"]]
    assert names == [f"{MINILM} (dim=32, prompt=instruction)", f"{MINILM} (prompt=none)"]
    tasks = sorted(t.metadata.name for t in mock_tasks())
    assert all(entry[1] == tasks and all(0 <= s <= 1 for s in entry[2]) for entry in seen["results"])


def test_submit_results_finds_a_variants_results(mteb_module, evaluated):
    cache = mteb_module.ResultCache(evaluated)
    # the local step of `mteb submit-results -m NAME`: which models, which files
    (meta,) = cache._normalize_models([f"{MINILM} (dim=32, prompt=instruction)"])
    assert (meta.name, meta.revision, meta.experiment_name) == (MINILM, REVISION, "dim_32__prompt_instruction")
    (files,) = cache._get_unsubmitted_results([meta]).values()
    assert sorted(p.name for p in files) == sorted(f"{t.metadata.name}.json" for t in mock_tasks())
    everything = cache._normalize_models(None)  # `mteb submit-results` without -m
    assert sorted(m.experiment_name for m in everything) == ["dim_32__prompt_instruction", "prompt_none"]
    with pytest.raises(ValueError, match="not found in local cache"):
        cache._normalize_models([f"{MINILM} (prompt=none, dim=16)"])


def test_submit_results_command_gets_past_the_local_step(evaluated, tmp_path):
    # git may not fetch over the network (so the test never clones the results repository, online or not)
    env = {**os.environ, "MTEB_CACHE": str(tmp_path / "mteb-cache"), "GIT_ALLOW_PROTOCOL": "file"}
    result = subprocess.run(
        [str(BIN / "mteb"), "submit-results", "-m", INSTRUCTION_32, "--output-folder", str(evaluated)],
        capture_output=True, text=True, env=env, timeout=300,
    )
    # it stops at downloading the results repository, after finding the variant's results
    assert result.returncode != 0
    assert "not found in local cache" not in result.stderr
    assert "download_from_remote" in result.stderr and "clone" in result.stderr, result.stderr[-3000:]


@pytest.mark.slow
def test_mock_run_passes_on_a_variant(tmp_path):
    result = subprocess.run(
        [str(BIN / "mteb"), "mock-run", "-m", f"{MINILM} (dim=16, prompt=prefix, reduction=random)", "--device", "cpu"],
        capture_output=True, text=True, timeout=900, cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "passed all expected checks" in result.stdout, result.stdout[-2000:]
    report = (tmp_path / "mteb_mock_run_results.md").read_text()
    assert "✗" not in report


def test_redundancy_table_names_each_experiment_by_its_variant(mteb_module, tmp_path):
    from mteb_redundancy import get_encoder
    from mteb_redundancy.analyses.redundancy.report import load_rows, report
    from mteb_redundancy_tasks.redundancy import RedundancyWikiSmall

    class RedundancyWikiMini(RedundancyWikiSmall):
        metadata = RedundancyWikiSmall.metadata.model_copy(update={"name": "RedundancyWikiMini"})
        n_texts = 120
        n_resamples = 10

    for name in (f"{MINILM} (prompt=prefix, dim=64)", NONE):
        mteb_module.evaluate(get_encoder(name, device="cpu"), [RedundancyWikiMini()], cache=mteb_module.ResultCache(tmp_path),
                             co2_tracker=False, show_progress_bar=False)
    rows = load_rows(tmp_path, "RedundancyWikiMini")
    assert [row.model for row in rows] == [f"{MINILM} (prompt=none)", f"{MINILM} (prompt=prefix, dim=64)"]
    text = report(rows)
    assert f"{MINILM} (prompt=prefix, dim=64)" in text and f"{MINILM} (prompt=none)" in text


# --------------------------------------------------------------------------------------------
# result-folder names stay inside the output folder
# --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", ["..", ".", "../../escape", "/tmp/escape", "a/b", "a\\b", "C:\\x", "", " ", "x\x00y"])
def test_a_name_that_is_not_one_folder_is_refused(bad):
    from mteb_redundancy.mteb_bridge.results_layout import UnsafePathError, check_path_component

    with pytest.raises(UnsafePathError):
        check_path_component("revision", bad)


def test_a_plugins_revision_cannot_move_results_outside_the_output_folder(mteb_module, tmp_path):
    from mteb_redundancy import ModelSpec
    from mteb_redundancy.models.names import VariantName
    from mteb_redundancy.models.variants import variant_meta
    from mteb_redundancy.mteb_bridge.results_layout import UnsafePathError

    for revision in ("../../../escape", str(tmp_path / "elsewhere"), "..", "v1/../../x"):
        spec = ModelSpec("my-lab/model", revision=revision, embed_dim=8)
        with pytest.raises(UnsafePathError, match="revision"):
            variant_meta(spec, VariantName(spec.model_id, "none"), None, spec.revision)


def test_a_models_toml_with_an_escaping_revision_registers_nothing_of_that_model(tmp_path, minilm_path):
    models = tmp_path / "models.toml"
    models.write_text(
        f'[[models]]\nid = "my-lab/escaper"\npath = "{minilm_path}"\nrevision = "../../../../escaped"\nembed_dim = 384\n\n'
        f'[[models]]\nid = "my-lab/fine"\npath = "{minilm_path}"\nrevision = "r1"\nembed_dim = 384\n'
    )
    code = (
        "import mteb, json\n"
        "out = {}\n"
        "for name in ('my-lab/escaper (prompt=none)', 'my-lab/fine (prompt=none)'):\n"
        "    try:\n"
        "        out[name] = mteb.get_model_meta(name).revision\n"
        "    except Exception as error:\n"
        "        out[name] = type(error).__name__\n"
        "print(json.dumps(out))\n"
    )
    env = {**os.environ, "MTEB_REDUNDANCY_MODELS": str(models)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["my-lab/fine (prompt=none)"] == "r1"
    assert seen["my-lab/escaper (prompt=none)"] != "../../../../escaped"
    assert "revision" in result.stderr and "escaper" in result.stderr  # reported, with the model


def test_task_names_that_are_not_one_file_name_are_refused(mteb_module):
    from mteb_redundancy.mteb_bridge.registries import add_tasks
    from mteb_redundancy_tasks.redundancy import RedundancyWikiSmall

    class Escaping(RedundancyWikiSmall):
        metadata = RedundancyWikiSmall.metadata.model_copy(update={"name": "../Escaping"})

    with pytest.warns(RuntimeWarning, match="task name"):
        add_tasks({"../Escaping": Escaping}, {"../Escaping": "test"})
    with pytest.raises(KeyError):
        mteb_module.get_task("../Escaping")
