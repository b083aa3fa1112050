"""Reading a RunView's snapshot where tests find it: the `snapshot_zlib` trait travels as a
binary buffer (zlib-compressed JSON), base64 in a saved notebook's widget state, a separate
buffer in a comm message. Tests that look for text in saved state must look in the decoded
snapshot: the compressed bytes would hide it (a secret, a status) from a plain search."""

from __future__ import annotations

import base64
import zlib
from typing import Any

import orjson

TRAIT = "snapshot_zlib"


def _decode(packed: bytes) -> dict[str, Any]:
    return orjson.loads(zlib.decompress(packed)) if packed else {}


def saved_snapshots(notebook: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Model id -> the snapshot its saved widget state holds, for every RunView saved."""
    models = notebook["metadata"]["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    out = {}
    for model_id, model in models.items():
        for buffer in model.get("buffers", []):
            if buffer["path"] == [TRAIT]:
                assert buffer["encoding"] == "base64", buffer["encoding"]
                out[model_id] = _decode(base64.b64decode(buffer["data"]))
    return out


def comm_snapshot(data: dict[str, Any], buffers: list[Any]) -> dict[str, Any] | None:
    """The snapshot a comm message's state update carries, if it carries one."""
    paths = data.get("buffer_paths", [])
    if [TRAIT] not in paths:
        return None
    return _decode(bytes(buffers[paths.index([TRAIT])]))
