"""Arguments are checked at the call, before any task starts."""

from __future__ import annotations

import pytest

import lg_widgets


def test_misspelt_argument_gets_a_suggestion():
    with pytest.raises(TypeError, match=r"'stream_modes'\. Did you mean 'stream_mode'\?"):
        lg_widgets.stream("agent", {}, stream_modes="updates", url="http://127.0.0.1:9")


def test_arguments_the_library_sets_itself_are_refused():
    with pytest.raises(TypeError, match="sets 'on_run_created' itself"):
        lg_widgets.stream("agent", {}, on_run_created=print, url="http://127.0.0.1:9")


def test_no_server_configured_says_how_to_get_one(monkeypatch):
    monkeypatch.delenv("LANGGRAPH_API_URL", raising=False)
    monkeypatch.setattr("lg_widgets.defaults._default", None)
    with pytest.raises(lg_widgets.NoServerConfigured, match=r"lg_widgets\.serve\(\)"):
        lg_widgets.stream("agent", {})
