"""A credential that never shows itself, so it cannot reach a repr, a log or a saved notebook."""

from __future__ import annotations

import secrets
from typing import Any, NoReturn


class Secret:
    """Holds a token; only `reveal()` returns it (to put it in a request header)."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    @classmethod
    def generate(cls) -> Secret:
        """A fresh random token (256 bits), one per embedded server."""
        return cls(secrets.token_urlsafe(32))

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __copy__(self) -> Secret:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Secret:
        return self

    def __reduce__(self) -> NoReturn:
        """Pickling would write the token to disk or send it elsewhere: refuse."""
        raise TypeError("A Secret cannot be pickled: it must stay in the process that made it.")
