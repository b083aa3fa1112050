"""Every notebook in notebooks/ runs top to bottom in a real kernel against the embedded server."""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

pytestmark = pytest.mark.integration

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))


def test_the_notebooks_are_there():
    assert {p.name for p in PATHS} >= {
        "quickstart.ipynb",
        "streaming-guide.ipynb",
        "analysis.ipynb",
        "human-in-the-loop.ipynb",
    }


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_committed_without_outputs(path: Path):
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
async def test_notebook_runs_without_errors(path: Path, server):
    """nbclient raises CellExecutionError on the first cell that fails."""
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=180,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    # The kernel finds the session's server the way `lg-widgets demo` tells JupyterLab's kernels.
    await client.async_execute(env={**os.environ, "LANGGRAPH_API_URL": server.url})
    errors = [
        output
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if output.output_type == "error"
    ]
    assert errors == []
    serve = next(c for c in notebook.cells if c.source.startswith("%load_ext lg_widgets"))
    said = "".join(o.get("text", "") for o in serve.outputs)
    assert said.startswith(f"Using the LangGraph server at {server.url}"), said
    if path.stem == "quickstart":  # its first cell streams a graph built in it, no server
        code = [c for c in notebook.cells if c.cell_type == "code"]
        assert "lg_widgets.stream(graph," in code[0].source and "%lgserve" not in code[0].source
        values = "".join(o.get("data", {}).get("text/plain", "") for o in code[1].outputs)
        assert "Why did the ice cream cross the road?" in values, values
        printed = {
            "".join(cell.source): "".join(o.get("text", "") for o in cell.outputs) for cell in code
        }
        assert printed['print(team.text(agent="researcher"))'] == "Sunny in Paris, 24 degrees.\n"
