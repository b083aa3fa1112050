"""How a `Run` shows itself: registered here, so the run's package never imports the view.

Displaying a run in a Jupyter kernel shows a new live `RunView`; a terminal IPython or a script
has no front end for the widget, and would print the widget's repr instead of the run's.
"""

from __future__ import annotations

from typing import Any

from lg_widgets.run.model import Run


class _RunViews:
    def view(self, run: Run, **options: Any) -> Any:
        from lg_widgets.view.widget import RunView  # anywidget loads only when a view is made

        return RunView(run, **options)

    def mimebundle(self, run: Run, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        text = {"text/plain": repr(run)}
        if not _in_kernel():
            return text, {}
        data, metadata = self.view(run)._repr_mimebundle_(**kwargs)
        return {**data, **text}, metadata


def _in_kernel() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipywidgets
        return False
    return getattr(get_ipython(), "kernel", None) is not None


def register() -> None:
    Run.register_view(_RunViews())
