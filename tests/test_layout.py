"""The layout's rules, checked on the source: one place touches MTEB's internals, no import cycles,
pure-numpy estimators, and no reference to material outside the repository. Reads files only."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {"mteb_redundancy": ROOT / "mteb_redundancy", "mteb_redundancy_tasks": ROOT / "tasks" / "mteb_redundancy_tasks"}
BRIDGE = "mteb_redundancy.mteb_bridge"
# Module-level registries and private methods of MTEB classes that only the bridge may touch.
MTEB_INTERNAL_NAMES = {"MODEL_REGISTRY", "_TASKS_REGISTRY", "TASK_LIST"}
MTEB_PRIVATE_METHODS = {
    "_evaluate_subset",
    "_calculate_descriptive_statistics_from_split",
    "_undersample_data",
    "_calculate_scores",
}


def modules() -> dict[str, Path]:
    found = {}
    for package, folder in PACKAGES.items():
        for path in folder.rglob("*.py"):
            parts = list(path.relative_to(folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join([package, *parts])] = path
    return found


MODULES = modules()


def module_level_imports(path: Path, module: str) -> set[str]:
    """Project modules imported when ``module`` is imported (not inside functions or TYPE_CHECKING)."""
    tree = ast.parse(path.read_text("utf-8"))
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    names: set[str] = set()

    def visit(statements):
        for node in statements:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            if isinstance(node, (ast.If, ast.Try)):
                visit(node.body)
                visit(getattr(node, "orelse", []))
                for handler in getattr(node, "handlers", []):
                    visit(handler.body)
            elif isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
                for alias in node.names:
                    names.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base)

    visit(tree.body)
    return {name for name in names if name in MODULES and name != module}


def test_no_import_cycles_between_project_modules():
    graph = {module: module_level_imports(path, module) for module, path in MODULES.items()}
    state: dict[str, int] = {}
    cycles = []

    def walk(module, stack):
        state[module] = 1
        for target in sorted(graph[module]):
            if state.get(target) == 1:
                cycles.append(stack[stack.index(target):] + [target])
            elif target not in state:
                walk(target, stack + [target])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            walk(module, [module])
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def mteb_internals_used(path: Path) -> list[str]:
    tree = ast.parse(path.read_text("utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.startswith("mteb.") and "._" in f".{a.name}"]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "mteb":
            if any(part.startswith("_") for part in node.module.split(".")):
                found.append(node.module)
            found += [f"{node.module}.{a.name}" for a in node.names if a.name.startswith("_") or a.name in MTEB_INTERNAL_NAMES]
        elif isinstance(node, ast.Attribute) and node.attr in MTEB_INTERNAL_NAMES:
            found.append(node.attr)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and re.fullmatch(r"mteb(\.\w+)*\._\w+(\.\w+)*", node.value):
            found.append(node.value)
        elif isinstance(node, ast.FunctionDef) and node.name in MTEB_PRIVATE_METHODS:
            found.append(f"def {node.name}")
    return found


def test_only_the_bridge_touches_mteb_internals():
    offenders = {
        module: used
        for module, path in MODULES.items()
        if not module.startswith(BRIDGE) and (used := mteb_internals_used(path))
    }
    assert not offenders, f"MTEB internals outside {BRIDGE}: {offenders}"
    # and the check can fail: the bridge itself does use them
    assert any(mteb_internals_used(path) for module, path in MODULES.items() if module.startswith(BRIDGE))


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.startswith("mteb_redundancy.estimators")))
def test_estimators_import_only_numpy_and_the_standard_library(module):
    imported = set()
    for node in ast.walk(ast.parse(MODULES[module].read_text("utf-8"))):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level:
            imported.add((node.module or "").split(".")[0])
    # scikit-dimension only inside the by-name lookup of other estimators
    assert not imported & {"mteb", "torch", "transformers", "sentence_transformers", "sklearn", "datasets"}, imported


def test_the_repository_names_its_sources_by_paper_and_points_nowhere_outside_it():
    texts = [ROOT / "README.md", *ROOT.glob("docs/*.md"), *MODULES.values(), *ROOT.glob("tests/*.py"), *ROOT.glob("benchmarks/*.py")]
    texts += list((ROOT / "plugins").rglob("*.py")) + list((ROOT / "plugins").rglob("*.md"))
    pattern = re.compile(r"(?<![a-z])seed[ _]00\d|\.\./shared|spec\.md|spec section", re.IGNORECASE)
    hits = [f"{path.relative_to(ROOT)}: {match.group(0)}" for path in texts if path != Path(__file__) for match in pattern.finditer(path.read_text("utf-8"))]
    assert not hits, hits
