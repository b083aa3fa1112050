"""A run as static HTML and text: what a notebook file keeps for readers with no kernel.

GitHub, nbviewer, nbconvert and a notebook opened without its widget state cannot draw the live
view, so a displayed run also carries this copy (see `view.display`). It has to read well on a
white page with no stylesheet of ours, so it is plain HTML (tables, `<pre>`, `<details>`) with
inline styles that follow JupyterLab's theme variables where they exist. Everything from the
server is escaped text; nothing here runs a script. Sizes are bounded whatever the run: long
texts are cut with a note saying how much is missing and where the whole is.
"""

from __future__ import annotations

import html
import json
import reprlib
from typing import TYPE_CHECKING, Any

from lg_widgets.view.wire import preview, timeline_row

if TYPE_CHECKING:
    from lg_widgets.reducers.messages import StreamedMessage
    from lg_widgets.run.model import Run

TEXT_CHARS = 3_000  # one message's text
ARGS_CHARS = 1_000  # one tool call's arguments
RESULT_CHARS = 1_500  # one tool result
REASONING_CHARS = 1_000
HEAD_MESSAGES, TAIL_MESSAGES = 10, 30  # a longer conversation shows its start and its end
TIMELINE_ROWS = 15
STATE_CHARS = 2_000  # the final state in the HTML
STATE_TEXT_CHARS = 800  # and in text/plain

FG = "var(--jp-ui-font-color1, #1f2328)"
MUTED = "var(--jp-ui-font-color2, #59636e)"
BORDER = "var(--jp-border-color2, #d1d9e0)"
BG2 = "var(--jp-layout-color2, #f6f8fa)"
MONO = "var(--jp-code-font-family, ui-monospace, SFMono-Regular, Menlo, monospace)"
STATUS_COLORS = {
    "success": "#1a7f37",
    "error": "#cf222e",
    "cancelled": "#9a6700",
    "cancelling": "#9a6700",
    "interrupted": "#9a6700",
    "running": "#0969da",
    "reconnecting": "#9a6700",
    "pending": "#59636e",
}
ROLE_COLORS = {"human": "#0969da", "ai": "#8250df", "tool": "#1a7f37", "system": "#59636e"}
PRE = (
    f"margin:2px 0;padding:4px 6px;white-space:pre-wrap;word-break:break-word;"
    f"font-family:{MONO};font-size:12px;background:{BG2};border-radius:4px;color:{FG}"
)

_short = reprlib.Repr()
_short.maxstring = 200
_short.maxother = 200
_short.maxlist = _short.maxtuple = _short.maxdict = 8
_short.maxlevel = 4


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def cut(text: str, limit: int, where: str) -> tuple[str, str | None]:
    """`text` cut to `limit` characters, and the note to show when it was cut."""
    if len(text) <= limit:
        return text, None
    return text[:limit], f"… {len(text) - limit:,} more characters (the whole is in {where})"


def pre(text: str, limit: int, where: str, style: str = PRE) -> str:
    shown, note = cut(text, limit, where)
    out = f'<pre style="{style}">{esc(shown)}</pre>'
    return out + (f'<div style="color:{MUTED};font-size:11px">{esc(note)}</div>' if note else "")


def pretty(value: Any) -> str:
    """JSON on one line when it is short, else indented (anything odd as its repr)."""
    try:
        flat = json.dumps(value, ensure_ascii=False, default=repr)
        return (
            flat
            if len(flat) <= 80
            else json.dumps(value, indent=2, ensure_ascii=False, default=repr)
        )
    except (TypeError, ValueError):  # a circular structure
        return repr(value)


def badge(status: str) -> str:
    color = STATUS_COLORS.get(status, "#59636e")
    return (
        f'<span data-lgw="status" style="display:inline-block;padding:0 8px;border-radius:10px;'
        f'color:#fff;background:{color};font-weight:600">{esc(status)}</span>'
    )


def muted(text: str) -> str:
    return f'<span style="color:{MUTED}">{esc(text)}</span>'


def seconds(run: Run) -> float | None:
    return None if run.ended_at is None else run.ended_at - run.started_at


def namespace_label(namespace: str) -> str:
    """`node_2:<task id>|inner:<id>` -> `node_2 › inner`, as the live view labels it."""
    if not namespace:
        return "root"
    return " › ".join(segment.split(":")[0] for segment in namespace.split("|"))


# ---- pieces -------------------------------------------------------------------------------------


def header_html(run: Run) -> str:
    took = seconds(run)
    parts = [
        badge(run.status),
        f"<b>{esc(run.assistant_id or 'run')}</b>",
        muted(f"thread {run.thread_id or '–'}"),
        muted(f"run {run.run_id or '–'}"),
        muted(f"{run.event_count:,} events"),
    ]
    if took is not None:
        parts.append(muted(f"{took:.1f} s"))
    line = "display:flex;flex-wrap:wrap;gap:8px;align-items:center"
    out = f'<div style="{line}">{"".join(parts)}</div>'
    if run.error:
        out += (
            f'<div data-lgw="error" style="color:{STATUS_COLORS["error"]};margin-top:4px">'
            f"{esc(run.error)}</div>"
        )
    if run.interrupts:
        out += '<div data-lgw="interrupts" style="margin-top:4px"><b>Interrupts</b>'
        out += pre(pretty(run.interrupts), ARGS_CHARS, "run.interrupts") + "</div>"
    if run.warnings:
        out += "".join(
            f'<div style="color:{STATUS_COLORS["cancelled"]}">{esc(w)}</div>' for w in run.warnings
        )
    return out


def tool_call_html(call: dict[str, Any], result: StreamedMessage | None) -> str:
    if result is None:
        state, color = "pending", MUTED
    else:
        state = result.status or "success"
        color = STATUS_COLORS["error" if state == "error" else "success"]
    args = pretty(call["args"]) if call.get("valid_args") else call.get("args_text") or ""
    valid = call.get("valid_args", True)
    invalid = "" if valid else " " + muted("(arguments are not valid JSON)")
    out = (
        f'<div data-lgw="tool-call" style="border:1px solid {BORDER};border-left:3px solid '
        f'{color};border-radius:4px;padding:4px 8px;margin:4px 0">'
        f"<div><b>{esc(call.get('name') or '(unnamed tool)')}</b> "
        f"{muted(state)}{invalid}</div>" + pre(args, ARGS_CHARS, "run.tool_calls")
    )
    if result is not None:
        out += f"<div>{muted('result')}</div>" + pre(
            result.content_text, RESULT_CHARS, "run.tool_calls"
        )
    return out + "</div>"


def message_html(message: StreamedMessage, results: dict[str, StreamedMessage]) -> str:
    role = message.role or "other"
    color = ROLE_COLORS.get(role, MUTED)
    where = [message.node or "", namespace_label(message.namespace) if message.namespace else ""]
    title = f'<b style="color:{color}">{esc(role)}</b> ' + muted(
        " · ".join(w for w in where if w) + (" · input" if message.input else "")
    )
    if message.usage:
        title += " " + muted(
            f"· {message.usage.get('input_tokens') or 0} in / "
            f"{message.usage.get('output_tokens') or 0} out tokens"
        )
    out = (
        f'<div data-lgw="message" data-role="{esc(role)}" style="border-left:3px solid {color};'
        f'padding:2px 0 2px 8px;margin:6px 0">{title}'
    )
    if message.reasoning:
        out += (
            f"<details><summary>{muted('reasoning')}</summary>"
            + pre(message.reasoning, REASONING_CHARS, "run.messages")
            + "</details>"
        )
    text = message.text if role == "ai" else message.content_text
    if text:
        out += pre(text, TEXT_CHARS, "run.messages")
    for call in message.tool_calls:
        out += tool_call_html(call, results.get(call.get("id") or ""))
    return out + "</div>"


def conversation_html(run: Run) -> str:
    messages = run.streamed_messages
    called = {c.get("id") for m in messages if m.role == "ai" for c in m.tool_calls}
    results = {m.tool_call_id: m for m in messages if m.role == "tool" and m.tool_call_id}
    # a tool's result shows in its call's card, not again as a message of its own
    shown = [m for m in messages if not (m.role == "tool" and m.tool_call_id in called)]
    if not shown:
        return ""
    blocks = [message_html(m, results) for m in shown[:HEAD_MESSAGES]]
    hidden = len(shown) - HEAD_MESSAGES - TAIL_MESSAGES
    if hidden > 0:
        blocks.append(muted(f"… {hidden} messages not shown (all are in run.messages)"))
        blocks += [message_html(m, results) for m in shown[-TAIL_MESSAGES:]]
    else:
        blocks += [message_html(m, results) for m in shown[HEAD_MESSAGES:]]
    count = len(messages)
    return (
        f'<details open data-lgw="conversation"><summary><b>Conversation</b> '
        f"{muted(f'{count} message' + ('s' if count != 1 else ''))}</summary>"
        + "".join(blocks)
        + "</details>"
    )


def timeline_html(run: Run) -> str:
    rows = run.state.timeline.rows
    if not rows:
        return ""
    cell = (
        f'style="padding:1px 8px 1px 0;border-bottom:1px solid {BORDER};'
        'text-align:left;vertical-align:top"'
    )
    head = "".join(
        f"<th {cell}>{name}</th>"
        for name in ("seq", "step", "time", "namespace", "node", "changed", "preview")
    )
    body = []
    for index, row in enumerate(rows[:TIMELINE_ROWS]):
        shown = timeline_row(index, row)
        node = shown["node"] or ("(values)" if shown["mode"] == "values" else "")
        values = (
            shown["seq"],
            "" if shown["step"] is None else shown["step"],
            f"+{shown['time'] - run.started_at:.2f}s",
            namespace_label(shown["namespace"]),
            node,
            ", ".join(shown["changed"]),
            shown["preview"],
        )
        body.append(
            '<tr data-lgw="timeline-row">'
            + "".join(f"<td {cell}>{esc(v)}</td>" for v in values)
            + "</tr>"
        )
    more = len(rows) - TIMELINE_ROWS
    note = muted(f"… {more} more rows (all are in run.timeline)") if more > 0 else ""
    label = f"first {TIMELINE_ROWS} of {len(rows)} rows" if more > 0 else f"{len(rows)} rows"
    return (
        f'<details data-lgw="timeline"><summary><b>Timeline</b> {muted(label)}</summary>'
        f'<table style="border-collapse:collapse;font-size:12px;font-family:{MONO}">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{note}</details>"
    )


def state_html(run: Run) -> str:
    values = run.values
    if not values:
        return ""
    return (
        f'<details data-lgw="state"><summary><b>Final state</b> '
        f"{muted(', '.join(map(str, values)))}</summary>"
        + pre(pretty(values), STATE_CHARS, "run.values")
        + "</details>"
    )


# ---- the whole -----------------------------------------------------------------------------------


def run_html(run: Run) -> str:
    """The static copy of a run that a notebook keeps next to its live view."""
    final = run.done or run.ended_at is not None
    note = (
        "Static copy saved when the run ended; the live view needs Jupyter with lg_widgets."
        if final
        else "Static copy taken when the run was displayed; it is replaced when the run ends."
    )
    return (
        f'<div data-lgw="static-run" style="color:{FG};font-family:var(--jp-ui-font-family, '
        f"-apple-system, 'Segoe UI', Helvetica, Arial, sans-serif);font-size:13px;"
        f'line-height:1.45;border:1px solid {BORDER};border-radius:6px;padding:8px 12px">'
        + header_html(run)
        + conversation_html(run)
        + timeline_html(run)
        + state_html(run)
        + f'<div style="color:{MUTED};font-size:11px;margin-top:4px">{esc(note)}</div></div>'
    )


def run_text(run: Run) -> str:
    """A few lines for text/plain: who, how it ended, the conversation in short, the state."""
    lines = [repr(run)]
    if run.error:
        lines.append(f"error: {run.error}")
    if run.interrupts:
        lines.append(f"interrupts: {_short.repr(run.interrupts)}")
    messages = run.streamed_messages
    if messages:
        roles: dict[str, int] = {}
        for message in messages:
            roles[message.role or "other"] = roles.get(message.role or "other", 0) + 1
        counts = ", ".join(f"{role} {n}" for role, n in roles.items())
        calls = [c.get("name") or "?" for m in messages if m.role == "ai" for c in m.tool_calls]
        lines.append(
            f"messages: {len(messages)} ({counts})"
            + (
                f"; tool calls: {', '.join(calls[:10])}" + (" …" if len(calls) > 10 else "")
                if calls
                else ""
            )
        )
        last = next((m for m in reversed(messages) if m.role == "ai" and m.text), None)
        if last is not None:
            lines.append(f"last AI message ({last.node or '?'}): {preview(last.text, 300)}")
    values = run.values
    if values:
        text, note = cut(_short.repr(values), STATE_TEXT_CHARS, "run.values")
        lines.append(f"state: {text}" + (f" {note}" if note else ""))
    return "\n".join(lines)
