"""The README's magic examples run as written, so that they cannot rot."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

README = Path(__file__).resolve().parents[2] / "README.md"


def magics_section_examples() -> list[str]:
    text = README.read_text()
    section = text.split("\n## In a notebook: the magics\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, re.S)


def test_readme_magic_examples_run(cell, ns, magics):
    examples = magics_section_examples()
    assert len(examples) >= 3
    try:
        for code in examples:
            cell(code)
        cell("await run")
        assert ns["run"].status == "success"
        assert ns["run"].values["joke"] == "This is a joke about ice cream and cats"
        assert magics.default_mode == ["updates", "messages-tuple"]
    finally:
        cell("%lgserve --stop")
