"""IPython magics for notebooks: `%load_ext lg_widgets`, then `%%lgstream` (or its line form
`%lgstream`), `%lgjoin`, `%lgconnect`, `%lgserve` and `%lgruns`.

The README documents every option and `%config` default.
"""

from __future__ import annotations

from typing import Any

from lg_widgets.magics import awaiting
from lg_widgets.magics.core import LgWidgetsMagics

__all__ = ["LgWidgetsMagics", "load_ipython_extension", "unload_ipython_extension"]


def load_ipython_extension(shell: Any) -> None:
    """Register the magics and the input transformer that turns `--wait` into an await."""
    magics = LgWidgetsMagics(shell)
    shell.register_magics(magics)
    awaiting.install(
        shell,
        awaiting.WaitTransformer(
            shell, magics.wants_wait, cell_magics={"lgstream"}, line_magics={"lgstream", "lgjoin"}
        ),
    )


def unload_ipython_extension(shell: Any) -> None:
    awaiting.uninstall(shell)
