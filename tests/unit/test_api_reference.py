"""Every public name of lg_widgets is in the site's API reference (docs/reference.md), with a
docstring to show there. The reference is built by mkdocstrings from `::: dotted.path` lines;
`./scripts/docs` fails (--strict) if one of them does not resolve."""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import lg_widgets

REFERENCE = Path(__file__).resolve().parents[2] / "docs" / "reference.md"


def documented() -> dict[str, object]:
    """The objects the reference page renders, by the path it names them with."""
    found = {}
    for path in re.findall(r"^::: ([\w.]+)$", REFERENCE.read_text(), re.M):
        module, _, name = path.rpartition(".")
        found[path] = getattr(importlib.import_module(module), name)
    return found


def test_every_public_name_is_in_the_reference():
    shown = documented()
    missing = [
        name
        for name in lg_widgets.__all__
        if not any(obj is getattr(lg_widgets, name) for obj in shown.values())
    ]
    assert missing == [], f"add `::: lg_widgets.NAME` to docs/reference.md for {missing}"


def test_the_reference_shows_only_public_names():
    public = {id(getattr(lg_widgets, name)) for name in lg_widgets.__all__}
    extra = [path for path, obj in documented().items() if id(obj) not in public]
    assert extra == []


def test_every_public_name_has_a_docstring():
    bare = [name for name in lg_widgets.__all__ if not inspect.getdoc(getattr(lg_widgets, name))]
    assert bare == []
