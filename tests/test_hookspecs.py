"""Every hook is documented in the README with its arguments and exercised by a test (as datasette
checks its own)."""

import inspect
import re
from pathlib import Path

import pytest

from mteb_redundancy import hookspecs

ROOT = Path(__file__).resolve().parent.parent
HOOKS = {name: fn for name, fn in inspect.getmembers(hookspecs, inspect.isfunction) if hasattr(fn, "mteb_redundancy_spec")}


def arguments(hook: str) -> list[str]:
    return list(inspect.signature(HOOKS[hook]).parameters)


def test_there_are_hooks():
    assert set(HOOKS) >= {
        "register_models", "register_model_sources", "register_tasks", "register_prompt_styles", "register_backends",
        "register_commands", "register_estimators",
    }


@pytest.mark.parametrize("hook", sorted(HOOKS))
def test_hook_is_documented_in_the_readme_with_its_arguments(hook):
    readme = (ROOT / "README.md").read_text()
    rows = [line for line in readme.splitlines() if line.startswith(f"| `{hook}(")]
    assert rows, f"README has no hook table row for {hook}"
    documented = re.match(rf"\| `{hook}\(([^)]*)\)`", rows[0]).group(1)
    assert [a.strip() for a in documented.split(",") if a.strip()] == arguments(hook)


@pytest.mark.parametrize("hook", sorted(HOOKS))
def test_hook_is_used_by_a_third_party_plugin_in_the_tests(hook):
    # the test plugins: the installed one in test_plugins.py; the estimator plugin is
    # estimators/test_estimator_contract.py itself
    plugin_tests = "".join(
        (Path(__file__).parent / name).read_text() for name in ("test_plugins.py", "estimators/test_estimator_contract.py")
    )
    assert f"def {hook}({', '.join(arguments(hook))})" in plugin_tests
