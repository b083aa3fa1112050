"""A credential that never shows itself, so it cannot reach a repr, a log or a saved notebook."""

from __future__ import annotations

import secrets
from typing import Any, NoReturn
from urllib.parse import urlsplit, urlunsplit


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


def redact_url(url: str) -> str:
    """`url` without the credentials it may carry (`https://user:pw@host/` -> `https://***@host/`),
    for every place a URL is shown or saved (reprs, sentences, a run's `url`, saved runs)."""
    try:
        parts = urlsplit(url)
        if parts.username is None and parts.password is None:
            return url
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        if parts.port is not None:
            host += f":{parts.port}"
    except ValueError:  # not a URL we can take apart: show nothing of it rather than a secret
        return "<a URL that could not be parsed>"
    return urlunsplit(parts._replace(netloc=f"***@{host}"))


def scrub_url_credentials(text: str, url: str) -> str:
    """`text` (an error message quoting a request URL, say) without `url`'s user and password."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return text
    if parts.password and len(parts.password) >= 4:  # shorter: replacing would garble the text
        text = text.replace(parts.password, "***")
    return text
