"""`lg-widgets demo` headless: the embedded server, JupyterLab on the quickstart, and a lab kernel
that finds the server; Ctrl-C stops both."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import subprocess
import sys
import threading
import urllib.request
import uuid
from pathlib import Path

import pytest
from tornado.websocket import websocket_connect

from tests.magics.conftest import wait_until

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
TOKEN = uuid.uuid4().hex


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except OSError:
        return None


def _post(url: str, body: dict) -> dict:
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


async def _execute_over_websocket(lab: str, kernel_id: str, code: str) -> str:
    """Run code in a lab kernel the way the browser does; return its stdout."""
    socket_url = lab.replace("http", "ws") + f"/api/kernels/{kernel_id}/channels?token={TOKEN}"
    connection = await websocket_connect(socket_url)
    msg_id = uuid.uuid4().hex
    header = {
        "msg_id": msg_id,
        "msg_type": "execute_request",
        "username": "test",
        "session": uuid.uuid4().hex,
        "date": "",
        "version": "5.3",
    }
    content = {
        "code": code,
        "silent": False,
        "store_history": True,
        "user_expressions": {},
        "allow_stdin": False,
        "stop_on_error": True,
    }
    connection.write_message(
        json.dumps(
            {
                "header": header,
                "parent_header": {},
                "metadata": {},
                "content": content,
                "channel": "shell",
                "buffers": [],
            }
        )
    )
    out = []
    while True:
        message = json.loads(await asyncio.wait_for(connection.read_message(), 120))
        if message["parent_header"].get("msg_id") != msg_id:
            continue
        if message["msg_type"] == "stream":
            out.append(message["content"]["text"])
        if message["msg_type"] == "execute_reply":
            assert message["content"]["status"] == "ok", message["content"]
            connection.close()
            return "".join(out)


async def test_demo_opens_lab_on_the_quickstart_with_the_server():
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lg_widgets",
            "demo",
            "--no-browser",
            f"--port={port}",
            "--ip=127.0.0.1",
            f"--IdentityProvider.token={TOKEN}",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True)
    reader.start()
    lab = f"http://127.0.0.1:{port}"
    try:
        server_line = wait_until(
            lambda: next((x for x in lines if x.startswith("embedded LangGraph server at")), None),
            timeout=120,
            what="the embedded server",
        )
        server_url = server_line.split()[4]
        wait_until(
            lambda: _get(f"{lab}/api/status?token={TOKEN}") == 200, timeout=120, what="JupyterLab"
        )
        assert _get(f"{lab}/api/contents/quickstart.ipynb?token={TOKEN}") == 200
        session = _post(
            f"{lab}/api/sessions?token={TOKEN}",
            {
                "path": "quickstart.ipynb",
                "type": "notebook",
                "name": "quickstart.ipynb",
                "kernel": {"name": "python3"},
            },
        )
        out = await _execute_over_websocket(
            lab, session["kernel"]["id"], "%load_ext lg_widgets\n%lgserve --reuse"
        )
        assert out.startswith(f"Using the LangGraph server at {server_url} (graphs: agent,")
        assert _get(f"{server_url}/ok") == 200
    finally:
        process.send_signal(signal.SIGINT)  # what Ctrl-C in the terminal does
        code = process.wait(60)
    assert code in (0, 1, -signal.SIGINT, 130), "".join(lines)
    assert _get(f"{server_url}/ok") is None  # the server stopped with the demo
    assert _get(f"{lab}/api/status?token={TOKEN}") is None
