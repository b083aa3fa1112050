"""Turning what a user typed in a magic (cell body, option values) into Python values.

Every problem becomes a one-line `UsageError`, so a typo in a cell never shows a traceback
through lg_widgets.
"""

from __future__ import annotations

import json
import keyword
import os
import re
import shlex
from argparse import Namespace
from collections.abc import Iterable, Mapping
from typing import Any

from lg_widgets.failures import KNOWN_STREAM_MODES
from lg_widgets.magics import sentences

# Only names that look like environment variables are ever echoed back: a user who passes the
# key itself by mistake (`--api-key-env lsv2_...`) must not see it printed into the notebook.
_ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]{0,63}")
_DOLLAR = re.compile(r"(?<![\w$])\$([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)")


def parse_line(magic: Any, line: str) -> Namespace:
    """Parse like a POSIX shell: `--config '{"a": 1}'` arrives without its quotes, and a
    trailing `# comment` (natural after `%lgserve`) is not taken for arguments."""
    try:
        argv = shlex.split(line, comments=True, posix=True)
    except ValueError as exc:  # "No closing quotation"
        raise sentences.cannot_split(exc) from None
    return magic.parser.parse_args(argv)


def as_list(modes: str | list[str]) -> list[str]:
    """A `%config` mode setting or a run's `stream_mode`: one mode or several."""
    return [modes] if isinstance(modes, str) else list(modes)


def expand_variables(line: str, namespace: Mapping[str, Any]) -> str:
    """`$name` and `$name.attr` replaced by their values; braces are left alone.

    IPython's own expansion also evaluates `{...}`, which mangles a JSON option such as
    `--config '{"recursion_limit": 5}'` without a word, so the run magics opt out of it.
    A name that is not defined stays as typed.
    """

    def value(match: re.Match[str]) -> str:
        head, *attributes = match.group(1).split(".")
        if head not in namespace:
            return match.group(0)
        result = namespace[head]
        for attribute in attributes:
            try:
                result = getattr(result, attribute)
            except AttributeError:
                raise sentences.no_attribute(
                    match.group(1), type(result).__name__, attribute
                ) from None
        return str(result)

    return _DOLLAR.sub(value, line)


def _json_error(error: json.JSONDecodeError) -> str:
    return f"{error.msg} at line {error.lineno} column {error.colno}"


def parse_input(text: str, namespace: Mapping[str, Any]) -> Any:
    """The run input from a cell body: JSON, else a Python expression; empty means no input."""
    if not text.strip():
        return None
    return _json_or_expression(text, namespace, "The cell body")


def _json_or_expression(text: str, namespace: Mapping[str, Any], what: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        json_error = _json_error(exc)
    try:
        code = compile(text.strip(), "<lg_widgets input>", "eval")
    except SyntaxError as exc:
        raise sentences.neither_json_nor_python(what, json_error, exc.msg, exc.lineno) from None
    try:
        return eval(code, dict(namespace))  # noqa: S307 - the user's own cell, in their namespace
    except Exception as exc:  # noqa: BLE001 - any failure of the user's expression
        raise sentences.expression_raised(what, exc) from None


def parse_object(text: str | None, namespace: Mapping[str, Any], option: str) -> Any:
    """A `--config`/`--context`/`--metadata` value: a JSON object or a Python dict expression."""
    if text is None:
        return None
    value = _json_or_expression(text, namespace, option)
    if not isinstance(value, dict):
        raise sentences.not_a_dict(option, value)
    return value


def parse_resume(text: str, namespace: Mapping[str, Any]) -> Any:
    """`--resume VALUE`: JSON, else a Python expression, else the text itself (`--resume yes`)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    try:
        return eval(compile(text, "<lg_widgets resume>", "eval"), dict(namespace))  # noqa: S307
    except Exception:  # noqa: BLE001 - not an expression: the plain string is the value
        return text


def parse_modes(modes: Iterable[str]) -> list[str]:
    """Stream modes, checked before the run starts (the server would only say 422 later)."""
    result = [m for mode in modes for m in mode.split(",") if m]
    unknown = [m for m in result if m not in KNOWN_STREAM_MODES]
    if unknown:
        raise sentences.unknown_modes(unknown, KNOWN_STREAM_MODES)
    return result


def parse_nodes(nodes: list[str] | None) -> list[str] | str | None:
    """`--interrupt-before a b` or `a,b`; `*` means every node, as in the SDK."""
    if not nodes:
        return None
    names = [n for node in nodes for n in node.split(",") if n]
    return "*" if names == ["*"] else names


def parse_headers(pairs: list[str] | None) -> dict[str, str]:
    headers: dict[str, str] = {}
    for pair in pairs or []:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise sentences.bad_header()
        headers[name.strip()] = value
    return headers


def check_env_name(name: str) -> str:
    """The name of the variable holding the API key; the key itself never passes through here."""
    if not _ENV_NAME.fullmatch(name):
        raise sentences.not_an_env_name()
    return name


def check_env_set(name: str) -> None:
    if not os.environ.get(name):
        raise sentences.env_not_set(name)


def check_variable(name: str | None) -> str | None:
    """A name that `-o` can bind in the user's namespace."""
    if name is not None and (not name.isidentifier() or keyword.iskeyword(name)):
        raise sentences.not_a_variable(name)
    return name


def runs_stream_kwargs(
    args: Namespace, payload: Any, thread: str | None, namespace: Mapping[str, Any]
) -> dict[str, Any]:
    """The `client.runs.stream` keyword arguments that `%%lgstream`'s options ask for."""
    kwargs: dict[str, Any] = {}
    for option in ("config", "context", "metadata"):
        value = parse_object(getattr(args, option), namespace, f"--{option}")
        if value is not None:
            kwargs[option] = value
    if "context" in kwargs and (kwargs.get("config") or {}).get("configurable"):
        raise sentences.context_and_configurable()
    if args.resume is not None:
        if payload is not None:
            raise sentences.resume_with_body()
        if thread in (None, "new"):
            raise sentences.resume_needs_thread()
        kwargs["command"] = {"resume": parse_resume(args.resume, namespace)}
    if args.checkpoint is not None:
        if thread in (None, "new"):
            raise sentences.checkpoint_needs_thread()
        kwargs["checkpoint_id"] = args.checkpoint
    for option in ("interrupt_before", "interrupt_after"):
        nodes = parse_nodes(getattr(args, option))
        if nodes is not None:
            kwargs[option] = nodes
    if args.resumable:
        kwargs["stream_resumable"] = True
    if args.multitask_strategy:
        kwargs["multitask_strategy"] = args.multitask_strategy
    if args.on_disconnect:
        kwargs["on_disconnect"] = args.on_disconnect
    return kwargs
