import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell
def _():
    import marimo as mo

    import lg_widgets
    from lg_widgets.demo.graphs import slow

    return lg_widgets, mo, slow


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    # lg_widgets in marimo

    A LangGraph run, live in a marimo notebook. `slow` is a compiled graph of this process (one
    of lg_widgets' demo graphs, on a fake model: nothing leaves the machine), so
    `lg_widgets.stream(graph, input)` streams it here, with no server. A server's assistant
    streams the same way: `lg_widgets.stream("agent", input)`.

    The cell returns at once; a run as a cell's value shows its live view.
    """)
    return


@app.cell
def _(lg_widgets, slow):
    run = lg_widgets.stream(
        slow,
        {"topic": "cats", "tokens": 200, "delay": 0.05},
        stream_mode=["messages-tuple", "updates"],
    )
    run
    return (run,)


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    marimo re-runs a cell when something it reads changes, and a run stays one object while it
    streams. `lg_widgets.watch(run)` is a marimo state holding the run's status: every cell that
    reads it re-runs when the status changes, the last time once the run has ended.
    """)
    return


@app.cell
def _(lg_widgets, run):
    status = lg_widgets.watch(run)
    return (status,)


@app.cell
def _(mo, run, status):
    mo.md(
        f"The run is **{status()}**: {len(run.events)} events, "
        f"{len(run.timeline)} timeline rows."
    )
    return


@app.cell
def _(run, status):
    status()  # read, so that this cell re-runs when the run ends
    run.timeline
    return


@app.cell(hide_code=True)
def _(mo):
    mo.md(r"""
    **Cancel** in the view stops the run, as `run.cancel()` in a cell does. marimo handles a
    view's clicks between cells: while a cell is `await`ing the run, a click would wait behind
    it, so the view says so instead, and stopping that cell (its ■ button) cancels the run.

    `marimo export html` runs the notebook once and keeps what its cells show when they have
    run: to export the finished run, add a cell that waits for it, `await run`.
    """)
    return


if __name__ == "__main__":
    app.run()
