"""Plain `mteb run` (and friends) on registered variants write MTEB results that MTEB reads back."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE = "sentence-transformers/all-MiniLM-L6-v2"
BIN = Path(sys.executable).parent
# A project task of short sentences whose texts the sweep tests encode too (the session's cache).
TASK = "STSBenchmarkOffline"


def run(args: list[str], **env_overrides) -> subprocess.CompletedProcess:
    env = {**os.environ, **env_overrides}
    result = subprocess.run(args, capture_output=True, text=True, env=env, timeout=900)
    return result


def main_score(folder: Path, model: str, mteb_module) -> float:
    results = mteb_module.ResultCache(folder).load_results(models=[model], tasks=[TASK], include_remote=False)
    (model_result,) = results.model_results
    (task_result,) = model_result.task_results
    return task_result.get_score()


@pytest.mark.parametrize(
    "command, dim",
    [
        ([str(BIN / "mteb"), "run"], 64),
        ([sys.executable, "-m", "mteb", "run"], 32),
        ([str(BIN / "mteb-redundancy"), "run"], 16),
    ],
    ids=["mteb", "python -m mteb", "mteb-redundancy run"],
)
def test_mteb_run_writes_results_that_result_cache_loads(command, dim, tmp_path, mteb_module):
    name = f"{BASE} (prompt=none, dim={dim})"
    result = run([*command, "-m", name, "-t", TASK, "--output-folder", str(tmp_path)])
    assert result.returncode == 0, result.stderr[-3000:]
    (meta_file,) = tmp_path.rglob("model_meta.json")
    # an MTEB experiment of the base model: results/<base>/<revision>/experiments/dim_<d>__prompt_none/
    assert meta_file.parent.relative_to(tmp_path).parts[:2] == ("results", BASE.replace("/", "__"))
    assert meta_file.parent.parent.name == "experiments" and meta_file.parent.name == f"dim_{dim}__prompt_none"
    meta = json.loads(meta_file.read_text())
    assert (meta["name"], meta["experiment_kwargs"], meta["embed_dim"]) == (BASE, {"prompt": "none", "dim": dim}, dim)
    assert 0.3 < main_score(tmp_path, name, mteb_module) <= 1.0  # Spearman correlation; 0 by chance


def test_from_python_after_import_mteb_redundancy(tmp_path, mteb_module):
    import mteb_redundancy  # noqa: F401

    name = f"{BASE} (prompt=none, dim=64)"
    model = mteb_module.get_model(name, device="cpu")
    mteb_module.evaluate(model, mteb_module.get_tasks(tasks=[TASK]), cache=mteb_module.ResultCache(tmp_path))
    assert main_score(tmp_path, name, mteb_module) > 0.3


def test_mteb_lists_the_project_tasks():
    listing = run([str(BIN / "mteb"), "available-tasks"])
    assert "WikiTopicClassification" in listing.stdout


def test_models_command_lists_variants_and_their_plugin():
    listing = run([str(BIN / "mteb-redundancy"), "models", "--filter", "MiniLM", "--all"])
    assert listing.returncode == 0, listing.stderr
    assert f"{BASE} (prompt=instruction, dim=64, reduction=random)" in listing.stdout
    assert "plugin offline_models" in listing.stdout


def test_unknown_model_in_mteb_run_names_close_matches(tmp_path):
    result = run([str(BIN / "mteb"), "run", "-m", f"{BASE} (prompt=nne, dim=64)", "-t", TASK, "--output-folder", str(tmp_path)])
    assert result.returncode != 0
    assert f"{BASE} (prompt=none, dim=64)" in result.stderr


def test_add_model_makes_a_local_folder_reachable_without_a_plugin(tmp_path, minilm_path):
    models_file = tmp_path / "models.toml"
    env = {"MTEB_REDUNDANCY_MODELS": str(models_file)}
    added = run(
        [str(BIN / "mteb-redundancy"), "add-model", "my-lab/minilm-copy", "--path", str(minilm_path),
         "--prompt", "none", "--prompt", "prefix", "--dims", "48", "--embed-dim", "384"],
        **env,
    )
    assert added.returncode == 0, added.stderr
    listing = run([str(BIN / "mteb-redundancy"), "models", "--filter", "my-lab", "--all"], **env)
    assert "my-lab/minilm-copy (prompt=prefix, dim=48)" in listing.stdout
    assert "plugin mteb_redundancy.default_plugins.user_models" in listing.stdout
    code = "import mteb; m = mteb.get_model('my-lab/minilm-copy (prompt=none, dim=48)'); print(m.location)"
    loaded = run([sys.executable, "-c", code], **env)
    assert loaded.stdout.strip() == str(minilm_path), loaded.stderr


def command_options() -> dict[str, set[str]]:
    from mteb_redundancy.cli import build_parser

    (commands,) = [action for action in build_parser()._actions if action.dest == "command"]
    return {name: {o for a in sub._actions for o in a.option_strings} for name, sub in commands.choices.items()}


def test_the_commands_spell_their_shared_options_one_way():
    options = command_options()
    encoding = ("sweep", "recommend", "study", "displacement-map", "encode")
    for name in encoding:
        assert {"--device", "--batch-size", "--precision", "--no-progress"} <= options[name], name
    for name in ("sweep", "recommend", "study", "redundancy-table", "redundancy-plot"):
        assert "--output-folder" in options[name], name
    for name in ("sweep", "recommend", "redundancy-plot", "displacement-map"):
        assert "--plot" in options[name], name
    other_spellings = {"--out", "--quiet", "--output", "--out-dir", "--figure", "--progress"}
    assert not {name: options[name] & other_spellings for name in options if options[name] & other_spellings}
