"""No key from any source (an environment variable's value, a header, a URL's password) shows
in a repr, a widget's state, a saved run or notebook, an error sentence, or a log."""

from __future__ import annotations

import os
import re

import nbformat
import orjson
import pytest
from nbclient import NotebookClient

import lg_widgets
from lg_widgets import defaults
from tests.faults.helpers import recorded_view
from tests.faults.proxy import FaultProxy
from tests.widget_state import saved_snapshots

pytestmark = [pytest.mark.faults, pytest.mark.integration]

KEY_ENV = "LGW_FAULTS_KEY"
HEADER = {"X-Trace-Secret": "hdr-SECRET-7f3a9c"}
PASSWORD = "pw-SECRET-91b2e4"


def secrets_of(server: lg_widgets.EmbeddedServer) -> list[str]:
    assert server.token is not None
    return [server.token.reveal(), HEADER["X-Trace-Secret"], PASSWORD]


def with_credentials(url: str) -> str:
    return url.replace("http://", f"http://lgw:{PASSWORD}@")


def assert_clean(text: str, secrets: list[str], where: str) -> None:
    for secret in secrets:
        assert secret not in text, f"a secret shows in {where}"


async def test_no_secret_in_reprs_state_saved_runs_errors_or_logs(
    fault_server, proxy: FaultProxy, monkeypatch, tmp_path
):
    secrets = secrets_of(fault_server)
    monkeypatch.setenv(KEY_ENV, secrets[0])  # the server's secret, as a key in a variable
    url = with_credentials(proxy.url)
    connection = lg_widgets.connect(url, api_key_env=KEY_ENV, headers=HEADER)
    try:
        run = lg_widgets.stream("paced", {"steps": 3}, thread_id="new")
        view, recorder = recorded_view(run)
        await run
        assert run.status == "success", run.error
        bad_port = lg_widgets.stream(
            "paced", {}, thread_id="new", url=with_credentials("http://127.0.0.1:9")
        )
        wrong_path = lg_widgets.stream("paced", {}, thread_id="new", url=url + "/nope")
        await bad_port
        await wrong_path
    finally:
        defaults.disconnect()
    assert bad_port.status == wrong_path.status == "error"
    run.save(tmp_path / "run.jsonl")
    shown = {
        "repr(connection)": repr(connection),
        "repr(run)": repr(run),
        "run.summary()": repr(run.summary()),
        "run.url": str(run.url),
        "run.connection": repr(run.connection),
        "run.request": repr(run.request),
        "errors": f"{bad_port.error} {wrong_path.error} {bad_port.url} {wrong_path.url}",
        "the widget's state": orjson.dumps(view.get_state(), default=repr).decode(),
        "the widget's snapshot": orjson.dumps(view.snapshot).decode(),
        "what the view sent": orjson.dumps(recorder.messages, default=repr).decode(),
        "the saved run": (tmp_path / "run.jsonl").read_text(),
        "the server's log": fault_server.log_path.read_text(errors="replace"),
        "lg_widgets.runs()": repr(lg_widgets.runs()),
    }
    for where, text in shown.items():
        assert_clean(text, secrets, where)
    assert "***@127.0.0.1" in run.url  # the URL is still recognisable


NOTEBOOK_CELLS = [
    "import lg_widgets\n%load_ext lg_widgets",
    "connection = lg_widgets.connect(URL, api_key_env=KEY_ENV, headers=HEADER)\nconnection",
    "run = lg_widgets.stream('paced', {'steps': 3}, thread_id='new')\nrun",
    "await run\nprint(run, run.url, run.summary(), run.warnings)",
    "%lgconnect",
    "%lgruns",
    "bad = lg_widgets.stream('paced', {}, thread_id='new', url=BAD_URL)\nawait bad\nbad.error",
    "%%lgstream paced --thread new --wait\n{'steps': 2}",
]


async def test_no_secret_in_a_saved_notebook_with_widget_state(fault_server, proxy, tmp_path):
    secrets = secrets_of(fault_server)
    setup = (
        f"URL = {with_credentials(proxy.url)!r}\nKEY_ENV = {KEY_ENV!r}\nHEADER = {HEADER!r}\n"
        f"BAD_URL = {with_credentials('http://127.0.0.1:9')!r}"
    )
    notebook = nbformat.v4.new_notebook()
    # the secrets typed into a cell are the user's own text: the first cell is dropped before
    # saving, as a user would keep them out of the notebook (in a variable or a file)
    notebook.cells = [nbformat.v4.new_code_cell(setup)] + [
        nbformat.v4.new_code_cell(source) for source in NOTEBOOK_CELLS
    ]
    client = NotebookClient(notebook, timeout=120, kernel_name="python3", store_widget_state=True)
    await client.async_execute(env={**os.environ, KEY_ENV: secrets[0]})
    errors = [o for c in notebook.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert errors == []
    notebook.cells = notebook.cells[1:]
    path = tmp_path / "saved.ipynb"
    nbformat.write(notebook, path)
    saved = path.read_text()
    assert "application/vnd.jupyter.widget-state+json" in saved  # the views' state is in it
    snapshots = saved_snapshots(nbformat.read(path, as_version=4))
    assert len(snapshots) >= 2  # the views' snapshots, decoded: compressed they hide nothing
    saved += orjson.dumps(snapshots).decode()
    assert re.search(r"\*\*\*@127\.0\.0\.1", saved)
    assert_clean(saved, secrets, "the saved notebook")
