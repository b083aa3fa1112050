"""langchain-core's merge rules for streamed message chunks, with strings kept as piece lists.

`AIMessageChunk.__add__` appends content strings, merges content blocks and `tool_call_chunks`
by `index`, sums `usage_metadata` and merges `response_metadata` / `additional_kwargs` key by
key. Folding a stream with `+` copies every string at every chunk (O(n^2) over a message); the
folds here keep growing strings as lists of pieces, joined on read, so each chunk costs O(1)
amortized. Tool-call arguments are parsed when read: leniently (a partial JSON object, closed
where it stops) while they stream, strictly once the message is complete. Where langchain-core
would raise (two chunks disagreeing on a value's type) the first value is kept.
"""

from __future__ import annotations

import json
import re
from typing import Any


class Pieces:
    """A string that grows by appending: O(1) per piece, joined once per read."""

    __slots__ = ("_parts", "size", "_parsed")

    def __init__(self, text: str = "") -> None:
        self._parts = [text] if text else []
        self.size = len(text)
        self._parsed: tuple[int, bool, Any] | None = None

    def add(self, text: str) -> None:
        if text:
            self._parts.append(text)
            self.size += len(text)

    @property
    def value(self) -> str:
        if len(self._parts) > 1:
            self._parts[:] = ["".join(self._parts)]
        return self._parts[0] if self._parts else ""

    def parsed(self, *, strict: bool) -> Any:
        """The text as JSON (None if it does not parse), cached until the text grows."""
        cached = self._parsed
        if cached is not None and cached[0] == self.size and cached[1] == strict:
            return cached[2]
        value = parse_json(self.value, strict=strict)
        self._parsed = (self.size, strict, value)
        return value


def parse_json(text: str, *, strict: bool) -> Any:
    return parse_json_strict(text) if strict else parse_json_lenient(text)


def fold(value: Any) -> Any:
    """A received value as a mergeable node: strings, dicts and lists become folders."""
    if isinstance(value, str):
        return Pieces(value)
    if isinstance(value, dict):
        return FoldedDict(value)
    if isinstance(value, list):
        return FoldedList(value)
    return value


def field_of(value: Any) -> Any:
    """A dict's field as a node: a string stays a `str` until a second piece arrives (most
    never grow: ids, names, types), so a message holds two objects fewer per string field
    for the garbage collector to walk; anything else as `_fold`."""
    return value if type(value) is str else fold(value)


def unfold(node: Any) -> Any:
    if isinstance(node, Pieces):
        return node.value
    if isinstance(node, (FoldedDict, FoldedList)):
        return node.value()
    return node


def kind_of(node: Any) -> type:
    if isinstance(node, Pieces):
        return str
    if isinstance(node, FoldedDict):
        return dict
    if isinstance(node, FoldedList):
        return list
    return type(node)


_KEEP_IF_EQUAL = frozenset({"id", "output_version", "model_provider"})
_LAST_WINS = frozenset({"index", "created", "timestamp"})


class FoldedDict:
    """A dict merged like langchain-core's `merge_dicts`: strings appended, numbers added."""

    __slots__ = ("fields",)

    def __init__(self, first: dict[str, Any]) -> None:
        self.fields: dict[str, Any] = {key: field_of(value) for key, value in first.items()}

    def get(self, key: str, default: Any = None) -> Any:
        return unfold(self.fields[key]) if key in self.fields else default

    def node(self, key: str) -> Any:
        return self.fields.get(key)

    def merge(self, right: dict[str, Any]) -> None:
        fields = self.fields
        for key, value in right.items():
            if key not in fields or (value is not None and fields[key] is None):
                fields[key] = field_of(value)
                continue
            if value is None:
                continue
            left = fields[key]
            kind = kind_of(left)
            if kind is not type(value):
                continue  # langchain-core raises here; keep what came first
            if kind is str:
                current = unfold(left) if key in _KEEP_IF_EQUAL or key == "index" else ""
                if (key == "index" and current.startswith("lc_")) or (
                    key in _KEEP_IF_EQUAL and current == value
                ):
                    continue
                if type(left) is str:
                    left = fields[key] = Pieces(left)
                left.add(value)
            elif kind is dict or kind is list:
                left.merge(value)
            elif left == value:
                continue
            elif kind is int:
                fields[key] = value if key in _LAST_WINS else left + value
            # other differing values (bools, floats...): langchain-core raises; keep the first

    def value(self) -> dict[str, Any]:
        return {key: unfold(node) for key, node in self.fields.items()}


def mergeable_index(element: Any) -> bool:
    if not isinstance(element, dict) or "index" not in element:
        return False
    index = element["index"]
    return isinstance(index, int) or (isinstance(index, str) and index.startswith("lc_"))


class FoldedList:
    """A list merged like langchain-core's `merge_lists`: dicts with the same `index` (and no
    conflicting `id`) merge, anything else is appended. An index map keeps lookups O(1)."""

    __slots__ = ("items", "_by_index", "_args")

    def __init__(self, first: list[Any] | None = None) -> None:
        self.items: list[Any] = []
        self._by_index: dict[Any, list[FoldedDict]] = {}
        self._args: dict[int, Pieces] = {}  # see `add_args`
        for element in first or ():  # the first list is taken as it is, never merged in itself
            self.append(element)

    def append(self, element: Any) -> None:
        node = fold(element)
        self.items.append(node)
        if isinstance(node, FoldedDict) and mergeable_index(element):
            self._by_index.setdefault(element["index"], []).append(node)

    def _target(self, element: dict[str, Any]) -> FoldedDict | None:
        new_id = element.get("id")
        for node in self._by_index.get(element["index"], ()):
            old_id = node.get("id")
            if old_id in (None, "") or new_id in (None, "") or old_id == new_id:
                return node
        return None

    def merge(self, other: list[Any]) -> None:
        for element in other:
            target = self._target(element) if mergeable_index(element) else None
            if target is None:
                self.append(element)
                continue
            left_type = target.get("type")
            if left_type and element.get("type") == "non_standard" and "value" in element:
                inner = {k: v for k, v in (element["value"] or {}).items() if k != "type"}
                if left_type != "non_standard":
                    target.merge({"extras": inner})
                else:
                    target.merge({"value": inner, "index": element["index"]})
            else:
                target.merge({k: v for k, v in element.items() if k != "type"})

    def add_args(self, element: Any) -> bool:
        """Merge the commonest tool-call chunk, only more `args` text for a known call, without
        the generic merge (its copies and lookups cost more than the piece itself); False when
        `element` is anything else, left for `merge`, which would do the same to it.

        The call's `args` pieces are remembered per index once its first node has every call
        field and text `args`: from then on the merge could only append to them."""
        if type(element) is not dict:
            return False
        get = element.get
        index, args = get("index"), get("args")
        if (
            type(index) is not int
            or type(args) is not str
            or get("name") is not None
            or get("id") is not None
            or not element.keys() <= _ARGS_ONLY_KEYS
        ):
            return False
        pieces = self._args.get(index)
        if pieces is None:
            nodes = self._by_index.get(index)
            if not nodes:
                return False
            fields = nodes[0].fields  # the node `_target` picks for a chunk with no id
            pieces = fields.get("args")
            if type(pieces) is str:
                pieces = fields["args"] = Pieces(pieces)
            if type(pieces) is not Pieces or not fields.keys() >= _CALL_FIELDS:
                return False  # the merge would add the missing field
            self._args[index] = pieces
        if args:
            pieces._parts.append(args)
            pieces.size += len(args)
        return True

    def value(self) -> list[Any]:
        return [unfold(node) for node in self.items]


_CALL_FIELDS = frozenset(("name", "args", "id", "index"))
_ARGS_ONLY_KEYS = _CALL_FIELDS | {"type"}


# --- JSON arguments -------------------------------------------------------------------------


def loads(text: str) -> Any:
    try:
        return json.loads(text, strict=False)
    except ValueError:
        return None


def parse_json_strict(text: str) -> Any:
    """The text as JSON, or None when it is not JSON. Control characters inside strings (a raw
    newline in an argument, as models write them) are accepted, as langchain-core does."""
    return loads(text)


UNFINISHED_NUMBER = re.compile(r"\d[.eE+-]+$")


def parse_json_lenient(text: str) -> Any:
    """JSON that may stop anywhere: open strings and brackets are closed, and an unfinished last
    member is dropped (`{"a": 1, "b` -> `{"a": 1}`). None when even that does not parse."""
    complete = loads(text)
    if complete is not None or text.strip() == "null":
        return complete
    closers: list[str] = []
    in_string = escaped = False
    cut, cut_closers = 0, ""  # the last point where the text so far is a complete prefix
    for position, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "{[":
            closers.append("}" if char == "{" else "]")
            cut, cut_closers = position + 1, "".join(reversed(closers))
        elif char in "}]":
            if not closers or closers[-1] != char:
                return None  # a closing bracket that closes nothing: not JSON at all
            closers.pop()
        elif char == ",":
            cut, cut_closers = position, "".join(reversed(closers))
    if in_string:
        tail = (text[:-1] if escaped else text) + '"'
    else:
        number = UNFINISHED_NUMBER.search(text)  # `2.` -> `2`, `1e-` -> `1`
        tail = text[: number.start() + 1] if number else text
    for candidate in (tail + "".join(reversed(closers)), text[:cut] + cut_closers):
        value = loads(candidate)
        if value is not None:
            return value
    return None


class Content:
    """Merged `content`, like langchain-core's `merge_content`: a string grows by appending;
    once a list arrives, list elements merge by `index` and strings join the last string."""

    __slots__ = ("_text", "_list")

    def __init__(self, first: Any = "") -> None:
        self._text: Pieces | None = None
        self._list: FoldedList | None = None
        if isinstance(first, list):
            self._list = FoldedList(first)
        else:
            self._text = Pieces(first if isinstance(first, str) else "")

    def add(self, content: Any) -> None:
        if self._text is not None:
            if isinstance(content, str):
                self._text.add(content)
            elif isinstance(content, list):  # [text so far, *blocks], the blocks not merged
                merged = FoldedList()
                merged.items.append(self._text)
                for element in content:
                    merged.append(element)
                self._text, self._list = None, merged
            return
        assert self._list is not None
        if isinstance(content, list):
            self._list.merge(content)
        elif isinstance(content, str):
            items = self._list.items
            if items and isinstance(items[-1], Pieces):
                items[-1].add(content)
            elif content and items:  # (langchain-core drops a string after an empty list)
                self._list.append(content)

    def value(self) -> str | list[Any]:
        return self._text.value if self._text is not None else self._list.value()  # type: ignore[union-attr]

    def text(self) -> str:
        if self._text is not None:
            return self._text.value
        return "".join(text_of(node) for node in self._list.items)  # type: ignore[union-attr]

    def reasoning(self) -> str:
        if self._text is not None:
            return ""
        return "".join(reasoning_of(node) for node in self._list.items)  # type: ignore[union-attr]

    def blocks(self) -> list[dict[str, Any]]:
        """Content as blocks: a string is one text block; empty strings are left out."""
        if self._text is not None:
            text = self._text.value
            return [{"type": "text", "text": text}] if text else []
        blocks = []
        for node in self._list.items:  # type: ignore[union-attr]
            value = unfold(node)
            if isinstance(value, str):
                if value:
                    blocks.append({"type": "text", "text": value})
            elif isinstance(value, dict):
                blocks.append(value)
        return blocks


def text_of(node: Any) -> str:
    """LLM text of a content element: a plain string or a `text` block."""
    if isinstance(node, Pieces):
        return node.value
    if isinstance(node, FoldedDict) and node.get("type") == "text":
        text = node.get("text")
        return text if isinstance(text, str) else ""
    return ""


def reasoning_of(node: Any) -> str:
    """Text of a `thinking` block (Anthropic) or a `reasoning` block (standard blocks keep it
    under `reasoning`, some providers under `text`)."""
    if not isinstance(node, FoldedDict):
        return ""
    block_type = node.get("type")
    if block_type == "thinking":
        text = node.get("thinking")
    elif block_type == "reasoning":
        text = node.get("reasoning", node.get("text"))
    else:
        return ""
    return text if isinstance(text, str) else ""


def add_usage(left: dict[str, Any] | None, right: dict[str, Any] | None) -> dict[str, Any] | None:
    """Token counts added key by key, nested details too (langchain-core's `add_usage`)."""
    if not right:
        return left
    if not left:
        return dict(right)
    total: dict[str, Any] = {}
    for key in {**left, **right}:
        a, b = left.get(key, 0), right.get(key, 0)
        if isinstance(a, dict) or isinstance(b, dict):
            total[key] = add_usage(a or {}, b or {})
        elif isinstance(a, int) and isinstance(b, int):
            total[key] = a + b
        else:
            total[key] = a if key in left else b
    return total
