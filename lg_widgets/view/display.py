"""How a `Run` shows itself: registered here, so the run's package never imports the view.

Displaying a run in a Jupyter kernel shows a new live `RunView`; a terminal IPython or a script
has no front end for the widget, and would print the widget's repr instead of the run's.

Next to the widget, the output carries a static copy (`view.static`: text/html and a text/plain
summary) for whoever opens the notebook file without a kernel or widget state: GitHub, nbviewer,
nbconvert. Front ends with a widget manager rank the widget's mimetype above text/html
(JupyterLab, Notebook 7, VS Code), so the copy never shows next to the live view there. The
output is published with a display id and replaced in place when the run ends, so the file keeps
the final result rather than what the run looked like when its cell ran.
"""

from __future__ import annotations

from typing import Any

from lg_widgets.run.model import Run
from lg_widgets.view.publish import as_current_request
from lg_widgets.view.static import run_html, run_text


class _RunViews:
    def view(self, run: Run, **options: Any) -> Any:
        from lg_widgets.view.widget import RunView  # anywidget loads only when a view is made

        return RunView(run, **options)

    def mimebundle(self, run: Run, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        """For callers that ask for a bundle: the widget and the static copy as of now."""
        if not _in_kernel():
            return {"text/plain": repr(run)}, {}
        data, metadata = self.view(run)._repr_mimebundle_(**kwargs)
        return {**data, **static_bundle(run)}, metadata

    def show(self, run: Run) -> None:
        """`display(run)` and a cell ending with `run`: the widget and its static copy, under
        a display id, replaced with a fresh copy whenever a run the view shows ends (the runs
        a resume, fork or follow adds to the view included)."""
        from IPython.display import display

        if not _in_kernel():
            display({"text/plain": repr(run)}, raw=True)
            return
        view = self.view(run)
        data, metadata = view._repr_mimebundle_()
        handle = display(
            {**data, **static_bundle(run)}, metadata=metadata, raw=True, display_id=True
        )
        if handle is None:
            return

        def on_ended(runs: list[Run]) -> None:
            bundle = {**data, **chain_bundle(runs)}
            as_current_request(handle.update, bundle, metadata=metadata, raw=True)

        view.on_run_ended(on_ended)

    def html(self, run: Run) -> str:
        from lg_widgets.view.export import run_document

        return run_document(run)

    def reopened(self, run: Run) -> None:
        from lg_widgets.view.widget import follow_again

        follow_again(run)


def static_bundle(run: Run) -> dict[str, str]:
    """The static copy of the run for a notebook output."""
    return {"text/html": run_html(run), "text/plain": run_text(run)}


def chain_bundle(runs: list[Run]) -> dict[str, str]:
    """The static copy of a view's runs on one thread, oldest first, each as it ended."""
    return {
        "text/html": "".join(run_html(run) for run in runs),
        "text/plain": "\n".join(run_text(run) for run in runs),
    }


def _in_kernel() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with ipywidgets
        return False
    return getattr(get_ipython(), "kernel", None) is not None


def register() -> None:
    Run.register_view(_RunViews())
