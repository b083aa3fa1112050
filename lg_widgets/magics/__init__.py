"""IPython magics for notebooks: `%load_ext lg_widgets`, then `%%lgstream` (or its line form
`%lgstream`), `%lgjoin`, `%lgfollow` and `%lgruns` (the run magics), `%lgserve` and `%lgconnect`
(the server magics).

docs/guide/magics.md documents every option and `%config` default.
"""

from __future__ import annotations

from typing import Any

from lg_widgets.magics import awaiting
from lg_widgets.magics.run_magics import LgRunMagics
from lg_widgets.magics.server_magics import LgServerMagics

__all__ = ["LgRunMagics", "LgServerMagics", "load_ipython_extension", "unload_ipython_extension"]


def load_ipython_extension(shell: Any) -> None:
    """Register both families and the input transformer that turns `--wait` into an await."""
    servers = LgServerMagics(shell)
    runs = LgRunMagics(shell, servers=servers)
    shell.register_magics(servers)
    shell.register_magics(runs)
    awaiting.install(
        shell,
        awaiting.WaitTransformer(
            shell, runs.wants_wait, cell_magics={"lgstream"}, line_magics={"lgstream", "lgjoin"}
        ),
    )


def unload_ipython_extension(shell: Any) -> None:
    awaiting.uninstall(shell)
