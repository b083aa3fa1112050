"""Pure reducers: from the event log to messages, timeline, tree, status and agents. No I/O.

`RunState` folds events one at a time in O(1) amortized work each, so a live run and a replayed
transcript (`lg_widgets.load`) produce the same data.
"""

from __future__ import annotations

from collections.abc import Iterable

from lg_widgets.events import Event
from lg_widgets.reducers.agents import AgentReducer
from lg_widgets.reducers.graph import GraphActivity
from lg_widgets.reducers.messages import MessageReducer, StreamedMessage
from lg_widgets.reducers.status import StatusReducer
from lg_widgets.reducers.timeline import TimelineReducer
from lg_widgets.reducers.tree import TreeReducer


class RunState:
    def __init__(self, root_name: str = "root") -> None:
        self.messages = MessageReducer()
        self.timeline = TimelineReducer()
        self.tree = TreeReducer(root_name)
        self.status = StatusReducer()
        self.graph = GraphActivity()
        self.agents = AgentReducer(root_name)

    def apply(self, event: Event) -> None:
        self.status.apply(event)
        self.messages.apply(event)
        self.timeline.apply(event)
        self.tree.apply(event)
        self.graph.apply(event)
        self.agents.apply(event)

    def finish(self, status: str, error: str | None = None, *, breakpoint: bool = False) -> None:
        self.status.finish(status, error, breakpoint=breakpoint)
        self.messages.finish()
        self.tree.finish(status)
        self.graph.finish(status)


def replay(events: Iterable[Event], root_name: str = "root") -> RunState:
    """Fold a recorded event log from scratch."""
    state = RunState(root_name)
    for event in events:
        state.apply(event)
    return state


__all__ = ["RunState", "StreamedMessage", "replay"]
