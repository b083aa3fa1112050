"""The magics word everything a user sees in `lg_widgets/magics/sentences.py`, and only there."""

from __future__ import annotations

import ast
from pathlib import Path

import lg_widgets.magics

MAGICS = Path(lg_widgets.magics.__file__).parent
OTHERS = sorted(p for p in MAGICS.glob("*.py") if p.name != "sentences.py")


def _is_sentence(node: ast.expr | None) -> bool:
    """`sentences.some_situation(...)`."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "sentences"
    )


def _where(path: Path, node: ast.AST) -> str:
    return f"{path.name}:{node.lineno}"


def test_every_module_is_checked():
    assert {p.name for p in OTHERS} >= {
        "__init__.py",
        "awaiting.py",
        "inputs.py",
        "preflight.py",
        "run_magics.py",
        "server_magics.py",
    }


def test_raises_and_prints_outside_sentences_only_pass_sentences_on():
    wrong: list[str] = []
    for path in OTHERS:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Raise) and node.exc is not None and not _is_sentence(node.exc):
                wrong.append(f"raise at {_where(path, node)}")
            called = isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            if (
                called
                and node.func.id == "print"
                and not (len(node.args) == 1 and not node.keywords and _is_sentence(node.args[0]))
            ):
                wrong.append(f"print at {_where(path, node)}")
            if called and node.func.id in ("UsageError", "KeyboardInterrupt"):
                wrong.append(f"{node.func.id}(...) at {_where(path, node)}")
    assert wrong == []
