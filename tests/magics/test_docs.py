"""Every python code block of the README and of the site's pages runs, in order, one shell per
page, against the session's embedded server: the examples cannot rot.

A block that is not meant to run says so in the markdown, on the line before its fence:
`<!-- no-run: why -->` (a signature shown as a block, a call that needs a remote deployment).
The reason is required, so the exceptions stay few and visible where they are written.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell

import lg_widgets

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
FENCE = re.compile(
    r"(?:^<!-- no-run: (?P<why>[^>]+?) -->\n)?^```python\n(?P<code>.*?)^```$", re.S | re.M
)


def blocks(page: Path) -> list[tuple[int, str, str | None]]:
    """(line, code, reason not to run) for each python block of the page, in order."""
    text = page.read_text()
    return [
        (text.count("\n", 0, m.start("code")) + 1, m["code"], m["why"])
        for m in FENCE.finditer(text)
    ]


def runnable(page: Path) -> list[tuple[int, str]]:
    return [(line, code) for line, code, why in blocks(page) if why is None]


CHECKED = [p for p in PAGES if runnable(p)]


def test_the_pages_with_examples_are_found():
    names = {p.relative_to(ROOT).as_posix() for p in CHECKED}
    assert {"README.md", "docs/guide/streaming.md", "docs/guide/magics.md"} <= names, names


def test_the_readme_is_read_in_two_minutes_and_its_links_hold():
    """The README is a front page (the site has the rest); the site's build checks the pages'
    links, and this the README's, which GitHub shows but mkdocs does not build."""
    text = (ROOT / "README.md").read_text()
    assert len(text.splitlines()) <= 200
    targets = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", text)
    local = [t for t in targets if "://" not in t]
    assert "docs/images/run-view.png" in local
    missing = [t for t in local if not (ROOT / t).exists()]
    assert missing == [], missing


def test_blocks_kept_from_running_are_few():
    kept = [
        (p.relative_to(ROOT).as_posix(), line, why)
        for p in PAGES
        for line, _, why in blocks(p)
        if why is not None
    ]
    assert len(kept) <= 8, kept


class Borrowed:
    """The session's server as a page's `serve()` returns it: everything but `stop()`."""

    def __init__(self, server: lg_widgets.EmbeddedServer) -> None:
        self._server = server

    def __getattr__(self, name: str) -> Any:
        return getattr(self._server, name)

    def stop(self) -> None:
        """The session's server outlives the page."""


@pytest.fixture()
def page_shell(
    ip: InteractiveShell,
    server: lg_widgets.EmbeddedServer,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> Iterator[InteractiveShell]:
    """The session's shell with an empty namespace, in a scratch folder.

    The pages start with `lg_widgets.serve()` as a reader would; here that lends the session's
    server (the demo graphs, the same a new one would have) instead of starting one per page,
    and the page's `server.stop()` leaves it running for the next page.
    """
    ip.reset(new_session=False)

    def serve(*args: Any, **kwargs: Any) -> Borrowed:
        assert not args and not kwargs, f"a page serves another config: {args} {kwargs}"
        lg_widgets.connect(server)
        return Borrowed(server)

    monkeypatch.setattr(lg_widgets, "serve", serve)
    monkeypatch.chdir(tmp_path)
    yield ip
    for run in lg_widgets.runs():  # leave the server free for the next page
        if run.status in {"pending", "running", "reconnecting"}:
            run.cancel()
    ip.reset(new_session=False)


def magics_page_did_what_it_says(ns: dict[str, Any], ip: InteractiveShell) -> None:
    run = ns["run"]
    ip.run_cell("await run").raise_error()
    assert run.status == "success"
    assert run.values["joke"] == "This is a joke about ice cream and cats"
    assert ip.magics_manager.registry["LgRunMagics"].default_mode == ["updates", "messages-tuple"]


# What some pages' examples must have done, beyond running without an error.
AFTERWARDS = {"docs/guide/magics.md": magics_page_did_what_it_says}


@pytest.mark.parametrize("page", CHECKED, ids=[p.relative_to(ROOT).as_posix() for p in CHECKED])
def test_page_examples_run_in_order(page: Path, page_shell: InteractiveShell, magics: Any):
    name = page.relative_to(ROOT).as_posix()
    try:
        for line, code in runnable(page):
            result = page_shell.run_cell(code)
            error = result.error_before_exec or result.error_in_exec
            assert error is None, f"the block at {name}:{line} raised {error!r}"
        if name in AFTERWARDS:
            AFTERWARDS[name](page_shell.user_ns, page_shell)
    finally:
        if any("%lgserve" in code and "--reuse" not in code for _, code in runnable(page)):
            page_shell.run_cell("%lgserve --stop")  # the page started a server of its own
