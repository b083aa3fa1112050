"""One self-contained HTML file per run: the live view's own front end, read-only, in any browser.

The file inlines the widget's bundle and stylesheet and embeds the run's data: the snapshot the
widget would receive, and the answers its requests would get from a kernel (the state at each
timeline row, the event log with each event's payload). `js/src/local.ts` answers the view's
requests from that data, so the same panels work with no kernel, server or network.

Safety: the data is JSON inside `<script type="application/json">`, with `<`, `>`, `&` and the
JavaScript line separators escaped as `\\uXXXX`, so no string can close the element or open a
comment; the view puts every value in the page as text. The file carries what the view shows
and nothing of the connection (no URL headers, no keys). Size: token events are written as
their content plus a frame shared by their message (as `logfile` does), so a 20,000-token run
takes about 1 MB; row states beyond ROW_DETAILS_BUDGET are left out with a sentence saying so.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from lg_widgets.events import event_node, event_summary_source
from lg_widgets.view.queries import RunQueries
from lg_widgets.view.static import esc, run_html
from lg_widgets.view.sync import RunSync
from lg_widgets.view.wire import (
    EmbeddedEvents,
    EmbeddedFrame,
    EmbeddedRun,
    RequestError,
    RowDetail,
    jsonable,
    preview,
)

if TYPE_CHECKING:
    from lg_widgets.run.model import Run

STATIC = Path(__file__).parent.parent / "static"  # the built front end (as RunView loads it)
FORMAT = "lg_widgets.html/1"
ROW_DETAILS_BUDGET = 8_000_000  # bytes of embedded row states; a longer run answers the rest
_JSON_ESCAPES = {
    b"<": b"\\u003c",
    b">": b"\\u003e",
    b"&": b"\\u0026",
    "\u2028".encode(): b"\\u2028",
    "\u2029".encode(): b"\\u2029",
}
_JSON_UNSAFE = re.compile(b"|".join(re.escape(k) for k in _JSON_ESCAPES))


def embedded_run(run: Run) -> EmbeddedRun:
    """Everything the read-only view shows or asks for, as plain JSON data."""
    sync, queries = RunSync(run), RunQueries(run)
    snapshot = jsonable(sync.snapshot(0))
    header = snapshot["header"]
    if header["ended_at"] is None:  # a copy of a live run stops here: say so, stop the clock
        header["ended_at"] = time.time()
        header["warnings"].append(
            f"Saved while the run was {header['status']}: this copy stops at event "
            f"{run.event_count}."
        )
    header["live"] = False
    return {
        "format": FORMAT,
        "snapshot": snapshot,
        "row_details": _row_details(run, queries),
        "events": _events(run),
    }


def _row_details(run: Run, queries: RunQueries) -> list[RowDetail | RequestError]:
    details: list[RowDetail | RequestError] = []
    size = 0
    rows = len(run.state.timeline.rows)
    for index in range(rows):
        if size > ROW_DETAILS_BUDGET:
            left_out: RequestError = {
                "error": f"The state at rows {index}-{rows - 1} was left out of this file to "
                "keep it small; lg_widgets.load() of the saved run (run.save) has it."
            }
            return details + [left_out] * (rows - index)
        detail = queries.row_detail(index)
        size += len(orjson.dumps(detail))
        details.append(detail)
    return details


def _events(run: Run) -> EmbeddedEvents:
    """The log as a table of small arrays (see `wire.EmbeddedEvents`)."""
    tables: dict[str, dict[Any, int]] = {"modes": {}, "namespaces": {}, "nodes": {}}
    frames: dict[int, int] = {}  # id(frame) -> its index
    frame_list: list[EmbeddedFrame] = []

    def index(table: str, value: Any) -> int:
        known = tables[table]
        return known.setdefault(value, len(known))

    rows: list[list[Any]] = []
    started = run.started_at
    for event in run.events_between(0):
        frame = event.frame
        summary = preview(event_summary_source(event))
        if frame is None or frame.slots:  # the page rebuilds content-only frames
            data, frame_index, frame = event.data, -1, None
        else:
            frame_index = frames.get(id(frame), -1)
            if frame_index < 0:
                frame_index = frames[id(frame)] = len(frame_list)
                frame_list.append(frame.to_json())  # type: ignore[arg-type]
            data = event.content
        rows.append(
            [
                round(event.time - started, 6),
                index("modes", event.mode),
                index("namespaces", event.namespace_str),
                index("nodes", event_node(event)),
                None if frame is not None and summary == data else summary,
                event.id,
                data,
                frame_index,
            ]
        )
    return {
        "started_at": started,
        "modes": list(tables["modes"]),
        "namespaces": list(tables["namespaces"]),
        "nodes": list(tables["nodes"]),
        "frames": frame_list,
        "rows": rows,
    }


def script_json(value: Any) -> str:
    """JSON that is safe as the text of a `<script type="application/json">` element."""
    raw = orjson.dumps(value, default=repr, option=orjson.OPT_NON_STR_KEYS)
    return _JSON_UNSAFE.sub(lambda m: _JSON_ESCAPES[m.group(0)], raw).decode()


def _script_text(code: str) -> str:
    """Our own bundle as the text of a script element: nothing in it may end the element."""
    return re.sub(r"</(script)", r"<\\/\1", code, flags=re.IGNORECASE).replace("<!--", "<\\!--")


_LOADER = """
const code = document.getElementById("lgw-bundle").textContent;
const url = URL.createObjectURL(new Blob([code], { type: "text/javascript" }));
const root = document.getElementById("lgw-root");
try {
  const { renderStatic } = await import(url);
  renderStatic(root, JSON.parse(document.getElementById("lgw-run").textContent));
  document.getElementById("lgw-fallback").remove();
  performance.mark("lgw-ready");
} catch (err) {
  root.textContent = `lg_widgets: the view could not start (${err}); below is a summary.`;
} finally {
  URL.revokeObjectURL(url);
}
"""

_PAGE_CSS = """
body { margin: 16px; background: #fff; color: #1f2328;
  font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; }
#lgw-root .lgw-body { height: calc(100vh - 130px); min-height: 360px; }
.lgw-saved { color: #59636e; font-size: 12px; margin: 0 0 8px; }
"""


def run_document(run: Run, bundle: tuple[str, str] | None = None) -> str:
    """The HTML document of `run.to_html()`. `bundle`: (js, css), by default the built widget's."""
    if bundle is None:
        js_path, css_path = STATIC / "widget.js", STATIC / "widget.css"
        if not js_path.is_file():
            raise RuntimeError(
                f"{js_path} is missing: build the front end (cd js && npm ci && npm run build)"
            )
        bundle = (js_path.read_text(encoding="utf-8"), css_path.read_text(encoding="utf-8"))
    js, css = bundle
    title = f"{run.assistant_id or 'run'} · {run.status} · {run.run_id or ''}".strip(" ·")
    saved = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n"
        f"<style>{_style_text(css)}</style>\n<style>{_PAGE_CSS}</style>\n"
        "</head><body>\n"
        f'<p class="lgw-saved">lg_widgets run, saved {saved} (read-only: no kernel)</p>\n'
        '<div id="lgw-root"></div>\n'
        f'<div id="lgw-fallback">{run_html(run)}</div>\n'
        f'<script id="lgw-run" type="application/json">{script_json(embedded_run(run))}</script>\n'
        f'<script id="lgw-bundle" type="text/plain">{_script_text(js)}</script>\n'
        f'<script type="module">{_LOADER}</script>\n'
        "</body></html>\n"
    )


def _style_text(css: str) -> str:
    return re.sub(r"</(style)", r"<\\/\1", css, flags=re.IGNORECASE)
