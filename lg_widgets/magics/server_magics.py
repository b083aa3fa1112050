"""`%lgserve` and `%lgconnect`: which LangGraph server the notebook talks to.

This family also answers, for the run magics, which server one cell talks to: the fallback
server of `%config LgServerMagics.url` is a setting of this family, and the answer must be the
same one that `%lgconnect` shows and `%lgserve --reuse` reuses.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments
from traitlets import Unicode

from lg_widgets import defaults
from lg_widgets.connection import Connection
from lg_widgets.errors import MissingServerExtra, NoServerConfigured, ServerStartError
from lg_widgets.magics import inputs, preflight, sentences
from lg_widgets.server import EmbeddedServer


@magics_class
class LgServerMagics(Magics):
    """Start the embedded server or connect to a deployment; the server each cell talks to."""

    url = Unicode(
        None,
        allow_none=True,
        help="server used when no %lgconnect/%lgserve/connect()/serve() was made in this kernel",
    ).tag(config=True)
    api_key_env = Unicode(
        None, allow_none=True, help="environment variable holding the API key for `url`"
    ).tag(config=True)

    def __init__(self, shell: Any = None, **kwargs: Any) -> None:
        super().__init__(shell=shell, **kwargs)
        self._server: EmbeddedServer | None = None

    def cell_connection(
        self, url: str | None, api_key_env: str | None
    ) -> tuple[Connection, dict[str, str | None]]:
        """The server one cell talks to, and the `url`/`api_key_env` that make `stream()` and
        `join()` resolve that same server.

        `--url` wins, then the kernel's connection (%lgconnect, %lgserve, connect(), serve()),
        then `%config LgServerMagics.url`, then $LANGGRAPH_API_URL. Both sides resolve through
        `current_connection()`, so the checks run against the very server, key and headers that
        the run will use.
        """
        if api_key_env:
            inputs.check_env_set(inputs.check_env_name(api_key_env))
        if url is None and defaults.default_connection() is None and self.url:
            url, api_key_env = self.url, api_key_env or self.api_key_env
        try:
            connection = defaults.current_connection(url, api_key_env=api_key_env)
        except NoServerConfigured as exc:
            raise sentences.no_server(str(exc), stopped="has stopped" in str(exc)) from None
        return connection, {"url": url, "api_key_env": api_key_env}

    # ---- %lgconnect -----------------------------------------------------------------------------
    @line_magic
    @magic_arguments()
    @argument("url", nargs="?", help="the server's root URL; without it, show the connection")
    @argument("--api-key-env", metavar="NAME", help="environment variable holding the API key")
    @argument("--header", action="append", metavar="K=V", help="extra HTTP header (repeatable)")
    def lgconnect(self, line: str) -> None:
        """Make URL the default server for the magics and the Python API."""
        args = inputs.parse_line(self.lgconnect, line)
        if args.url is None:
            if args.api_key_env or args.header:
                raise sentences.connect_needs_url()
            connection, _ = self.cell_connection(None, None)
            print(sentences.connection_shown(connection, preflight.server_graphs(connection)))
            return
        if args.api_key_env:
            inputs.check_env_set(inputs.check_env_name(args.api_key_env))
        headers = inputs.parse_headers(args.header)
        candidate = defaults.connection_to(args.url, api_key_env=args.api_key_env, headers=headers)
        graphs = preflight.server_graphs(candidate)
        connection = defaults.connect(candidate.url, api_key_env=args.api_key_env, headers=headers)
        print(sentences.connected(connection, graphs))

    # ---- %lgserve -------------------------------------------------------------------------------
    @line_magic
    @magic_arguments()
    @argument("config", nargs="?", help="a langgraph.json (default: the bundled demo graphs)")
    @argument("--port", type=int, help="port (default: a free one)")
    @argument("--stop", action="store_true", help="stop the server %%lgserve started")
    @argument(
        "--reuse",
        action="store_true",
        help="use the current server (e.g. $LANGGRAPH_API_URL) if one answers; else start one",
    )
    def lgserve(self, line: str) -> None:
        """Start the embedded in-memory LangGraph API server and connect to it."""
        args = inputs.parse_line(self.lgserve, line)
        if args.stop:
            self._stop_server()
            return
        if args.reuse and args.config is None and args.port is None and self._reuse():
            return
        config = Path(args.config).expanduser().resolve() if args.config else None
        server = self._server
        if server is not None and server.running:
            same = config in (None, server.config) and args.port in (None, _port(server.url))
            if same:
                defaults.connect(server)
                print(sentences.server_already_running(server.url))
                return
            server.stop()
        try:
            server = defaults.serve(config, port=args.port)
        except (MissingServerExtra, FileNotFoundError) as exc:
            raise sentences.passed_on(str(exc)) from None
        except ServerStartError as exc:
            raise sentences.server_start_failed(exc) from None
        self._server = server
        graphs = preflight.server_graphs(defaults.connection_to(server.url))
        print(sentences.server_started(server.url, graphs, server.log_path))

    def _reuse(self) -> bool:
        try:
            connection, _ = self.cell_connection(None, None)
            graphs = preflight.server_graphs(connection)
        except UsageError:
            return False
        print(sentences.server_reused(connection.url, graphs))
        return True

    def _stop_server(self) -> None:
        server = self._server
        if server is None or not server.running:
            raise sentences.nothing_to_stop()
        server.stop()
        self._server = None
        if defaults.default_server() is server:
            defaults.disconnect()
        print(sentences.server_stopped(server.url))


def _port(url: str) -> int | None:
    tail = url.rsplit(":", 1)[-1]
    return int(tail) if tail.isdigit() else None
