"""Every hook is documented in the README and exercised by a test (as datasette checks its own)."""

import inspect
from pathlib import Path

import pytest

from mteb_redundancy import hookspecs

ROOT = Path(__file__).resolve().parent.parent
HOOKS = [name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction) if hasattr(fn, "mteb_redundancy_spec")]


def test_there_are_hooks():
    assert set(HOOKS) >= {"register_models", "register_model_sources", "register_tasks"}


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_documented_in_the_readme(hook):
    assert f"`{hook}`" in (ROOT / "README.md").read_text()


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_used_by_a_third_party_plugin_in_the_tests(hook):
    plugin_tests = (Path(__file__).parent / "test_plugins.py").read_text()
    assert f"def {hook}(register)" in plugin_tests
