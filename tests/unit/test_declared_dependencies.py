"""Every package lg_widgets imports is declared in pyproject.toml (the runtime dependencies, or
the `server` extra for the embedded server's demo graphs), not merely brought in by another."""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "lg_widgets"


def _names(requirements: list[str]) -> set[str]:
    return {
        re.split(r"[\[<>=;!~ ]", r, maxsplit=1)[0].lower().replace("_", "-") for r in requirements
    }


def _imported_top_levels(folder: Path) -> set[str]:
    found = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return {name for name in found if name not in sys.stdlib_module_names and name != "lg_widgets"}


def test_every_imported_package_is_declared() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = _names(project["dependencies"])
    server = runtime | _names(project["optional-dependencies"]["server"])
    distributions = packages_distributions()

    def undeclared(folder_imports: set[str], declared: set[str]) -> set[str]:
        return {
            name
            for name in folder_imports
            if not {d.lower().replace("_", "-") for d in distributions.get(name, [name])} & declared
        }

    demo = PACKAGE / "demo"
    everything = _imported_top_levels(PACKAGE)
    assert not undeclared(everything - _imported_top_levels(demo), runtime)
    assert not undeclared(_imported_top_levels(demo), server)
