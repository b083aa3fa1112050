"""The embedded server's custom auth: a request must carry the secret its starter generated.

Loaded by file path inside the `langgraph dev` subprocess (`"auth": {"path": ...}` in the
langgraph.json that `serve()` writes), so it imports nothing from lg_widgets. Without it, any
process on the machine (another user of a shared JupyterHub host, or a web page the user visits
posting to the loopback port) could create runs, read every thread and cancel runs.

The secret arrives in an environment variable, never on the command line: argv is readable by
every user through /proc, a process's environment only by its owner.
"""

from __future__ import annotations

import hmac
import os

from langgraph_sdk import Auth

TOKEN_ENV = "LG_WIDGETS_SERVER_TOKEN"
_BEARER = "bearer "

auth = Auth()


def _expected() -> bytes:
    """Read at each request, so a server started without the variable refuses everything."""
    return os.environ.get(TOKEN_ENV, "").encode()


@auth.authenticate
async def authenticate(headers: dict[bytes, bytes], authorization: str | None) -> dict[str, str]:
    """Accept the secret as `x-api-key` (what the SDK sends for api_key) or a bearer token."""
    expected = _expected()
    offered = [headers.get(b"x-api-key", b"")]
    if authorization and authorization[: len(_BEARER)].lower() == _BEARER:
        offered.append(authorization[len(_BEARER) :].strip().encode())
    if expected and any(hmac.compare_digest(value, expected) for value in offered):
        return {"identity": "lg-widgets"}
    raise Auth.exceptions.HTTPException(
        status_code=401,
        detail="This embedded LangGraph server only answers the process that started it: "
        "use its server.client() or lg_widgets' connection.",
    )
