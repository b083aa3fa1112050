"""Execute notebooks/*.ipynb against the embedded server into docs/notebooks/ for the site.

The committed notebooks have no outputs (a test holds that); the site shows them executed. Each
runs in a real kernel that finds one embedded server through `$LANGGRAPH_API_URL` (as under
`lg-widgets demo`). Widget state is not kept in the copies: a page has no kernel and no widget
manager, so what it shows of a run is the static copy (`text/html`) the run leaves in its output,
the same a reader gets from nbconvert or GitHub. A notebook whose source and lg_widgets' source
have not changed since its last execution is not run again.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import sys
import time
import warnings
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "notebooks"
OUT = ROOT / "docs" / "notebooks"
STAMPS = ROOT / "build" / "notebooks"  # what each copy was executed from (gitignored)


def fingerprint(path: Path) -> str:
    """What an executed copy depends on: the notebook and the package's Python and front end."""
    digest = hashlib.sha256(path.read_bytes())
    for source in sorted((ROOT / "lg_widgets").rglob("*")):
        if source.is_file() and source.suffix in {".py", ".json", ".js", ".css"}:
            digest.update(source.relative_to(ROOT).as_posix().encode())
            digest.update(source.read_bytes())
    return digest.hexdigest()


async def execute(path: Path, env: dict[str, str]) -> nbformat.NotebookNode:
    with warnings.catch_warnings():  # a cell without an id: normalize() gives it one below
        warnings.simplefilter("ignore", nbformat.validator.MissingIDFieldWarning)
        notebook = nbformat.read(path, as_version=4)
    _, normalized = nbformat.validator.normalize(notebook)  # cell ids, which nbformat will require
    notebook = nbformat.from_dict(normalized)
    client = NotebookClient(
        notebook,
        timeout=180,
        kernel_name="python3",
        store_widget_state=False,
        resources={"metadata": {"path": str(SOURCES)}},
    )
    await client.async_execute(env=env)
    notebook.metadata.pop("widgets", None)
    return notebook


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--force", action="store_true", help="execute even if nothing changed")
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    STAMPS.mkdir(parents=True, exist_ok=True)
    todo = []
    for path in sorted(SOURCES.glob("*.ipynb")):
        stamp = STAMPS / f"{path.stem}.sha256"
        mark = fingerprint(path)
        target = OUT / path.name
        if not args.force and target.is_file() and stamp.is_file() and stamp.read_text() == mark:
            continue
        todo.append((path, target, stamp, mark))
    if not todo:
        print("notebooks: executed copies are up to date", file=sys.stderr)
        return 0

    import lg_widgets
    from lg_widgets.defaults import child_environment

    with lg_widgets.serve(connect=False) as server:
        env = {**os.environ, **child_environment(server)}
        for path, target, stamp, mark in todo:
            started = time.monotonic()
            notebook = asyncio.run(execute(path, env))
            nbformat.write(notebook, target)
            stamp.write_text(mark)
            print(f"notebooks: {path.name} in {time.monotonic() - started:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
