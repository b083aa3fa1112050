"""The magics through a real IPython shell, against the real embedded server."""

from __future__ import annotations

import json

import pytest

import lg_widgets
from lg_widgets import defaults
from tests.magics.conftest import wait_until

pytestmark = pytest.mark.integration

JOKE = "This is a joke about ice cream and cats"


def test_load_ext_registers_the_magics_and_the_config(ip):
    magics = ip.magics_manager.magics
    assert "lgstream" in magics["cell"] and "lgstream" in magics["line"]
    assert {"lgjoin", "lgfollow", "lgconnect", "lgserve", "lgruns"} <= set(magics["line"])
    assert {"LgRunMagics", "LgServerMagics"} <= {type(c).__name__ for c in ip.configurables}
    registry = ip.magics_manager.registry
    runs, servers = registry["LgRunMagics"], registry["LgServerMagics"]
    assert {"lgstream", "lgjoin", "lgfollow", "lgruns"} == set(runs.magics["line"])
    assert {"lgserve", "lgconnect"} == set(servers.magics["line"])
    assert runs.servers is servers


def test_stream_returns_at_once_binds_and_displays(cell, displayed, ns):
    value = cell('%%lgstream agent --mode updates -o run\n{"topic": "ice cream"}')
    assert value is None  # shown with display(), not as the cell's value
    run = ns["run"]
    assert isinstance(run, lg_widgets.Run) and len(displayed) == 1
    cell("await run")
    assert run.status == "success" and run.values["joke"] == JOKE
    assert [e.mode for e in run.events] == ["metadata", "updates", "updates"]


def test_follow_binds_and_displays_a_follower_that_sees_the_threads_runs(cell, displayed, ns, sdk):
    thread_id = sdk.threads.create()["thread_id"]
    assert cell(f"%lgfollow {thread_id} -o follower") is None
    follower = ns["follower"]
    assert isinstance(follower, lg_widgets.Follower) and len(displayed) == 1
    assert displayed[0]["text/plain"].startswith(f"<Follower thread={thread_id} following")
    run_id = sdk.runs.create(thread_id, "agent", input={"topic": "f"})["run_id"]
    cell("seen = await follower.wait_for_run(0, timeout=30)")
    assert ns["seen"].run_id == run_id and follower.view.runs == [ns["seen"]]
    cell("await follower.stop()")
    assert not follower.running


def test_wait_returns_after_the_end_with_the_run_bound(ip, cell, ns):
    code = '%%lgstream slow --wait -o waited\n{"topic": "w", "delay": 0.05, "tokens": 4}'
    assert ip.transform_cell(code).startswith("await ")
    cell(code)
    run = ns["waited"]
    assert run.done and run.status == "success" and run.values["done"] is True


def test_protocol_agent_streams_through_the_agent_protocol(cell, ns, usage_error):
    cell('%%lgstream team --protocol agent --wait -o team\n{"messages": [["user", "Paris?"]]}')
    run = ns["team"]
    assert (run.protocol, run.status) == ("agent", "success"), run.error
    assert run.agents["agent"].tolist() == ["coordinator", "researcher"]
    message = usage_error('%%lgstream team --protocol agent --mode updates\n{"messages": []}')
    assert "--protocol agent streams every channel" in message and "--mode" in message


def test_protocol_agent_narrows_with_depth_and_namespaces(cell, ns, usage_error):
    trip = '{"messages": [["user", "Paris?"]]}'
    cell(f"%%lgstream team --protocol agent --depth 0 --wait -o root\n{trip}")
    root = ns["root"]
    assert root.status == "success", root.error
    (researcher,) = root.left_out  # left out on the server, as with depth=0
    assert root.text(agent="researcher") == ""
    cell(f"%%lgstream team --protocol agent --namespaces tools --wait -o named\n{trip}")
    named = ns["named"]
    assert named.status == "success" and named.left_out == [] and named.holds(researcher)
    assert named.text(agent="researcher") != ""
    message = usage_error(f"%%lgstream team --depth 0\n{trip}")
    assert "--protocol agent" in message
    message = usage_error(f"%%lgstream team --protocol agent --depth -1\n{trip}")
    assert "depth must be a whole number" in message


def test_body_is_a_python_expression_in_the_user_namespace(cell, ns):
    cell('topic = "tea"')
    cell('%%lgstream agent --wait -o run\n{"topic": topic + " time"}')
    assert ns["run"].values["topic"] == "tea time and cats"


def test_line_form_sends_no_input(cell, ns):
    cell("%lgstream custom --mode custom --wait -o run")
    run = ns["run"]
    assert run.request.input is None
    assert run.status == "error" and "EmptyInputError" in run.error


def test_thread_new_none_and_existing(cell, sdk, ns):
    cell('%%lgstream agent --thread none --mode updates --wait -o stateless\n{"topic": "a"}')
    stateless = ns["stateless"]
    assert stateless.thread_id is None and stateless.values["joke"].startswith("This is")
    thread_id = sdk.threads.create()["thread_id"]
    cell(f'%%lgstream agent --thread {thread_id} --wait -o on_thread\n{{"topic": "b"}}')
    assert ns["on_thread"].thread_id == thread_id
    assert sdk.threads.get_state(thread_id)["values"]["topic"] == "b and cats"
    cell('%%lgstream agent --thread new --wait -o fresh\n{"topic": "c"}')
    assert ns["fresh"].thread_id not in (None, thread_id)


def test_several_modes_and_subgraphs(cell, ns):
    cell('%%lgstream subgraph --mode updates values --subgraphs --wait -o nested\n{"foo": "foo"}')
    nested = ns["nested"]
    assert {"updates", "values"} <= {e.mode for e in nested.events}
    assert any(e.namespace for e in nested.events)
    cell('%%lgstream subgraph --mode updates,values --wait -o flat\n{"foo": "foo"}')
    assert not any(e.namespace for e in ns["flat"].events)


def test_config_context_and_metadata_reach_the_run(cell, sdk, ns):
    cell(
        '%%lgstream agent --config \'{"recursion_limit": 7, "tags": ["t1"]}\' '
        '--context \'{"user": "ada"}\' --metadata \'dict(source="magic")\' --wait -o run\n'
        '{"topic": "x"}'
    )
    run = ns["run"]
    created = sdk.runs.get(run.thread_id, run.run_id)
    assert created["kwargs"]["config"]["recursion_limit"] == 7
    assert created["kwargs"]["config"]["tags"] == ["t1"]
    assert created["kwargs"]["context"] == {"user": "ada"}
    assert created["metadata"]["source"] == "magic"


def test_checkpoint_replays_from_a_past_step(cell, sdk, ns):
    cell('%%lgstream agent --wait -o first\n{"topic": "past"}')
    thread_id = ns["first"].thread_id
    history = sdk.threads.get_history(thread_id)
    checkpoint = next(h for h in history if h["next"] == ["generate_joke"])
    checkpoint_id = checkpoint["checkpoint"]["checkpoint_id"]
    cell(
        f"%lgstream agent --thread {thread_id} --checkpoint {checkpoint_id} --mode updates "
        "--wait -o again"
    )
    again = ns["again"]
    assert [e.data for e in again.events if e.mode == "updates"] == [
        {"generate_joke": {"joke": "This is a joke about past and cats"}}
    ]


def test_interrupt_before_and_after_then_resume(cell, sdk, ns):
    cell('%%lgstream agent --interrupt-before generate_joke --wait -o before\n{"topic": "i"}')
    before = ns["before"]
    assert before.status == "interrupted"
    assert sdk.threads.get_state(before.thread_id)["next"] == ["generate_joke"]
    cell(
        "%%lgstream agent --interrupt-after refine_topic,generate_joke --wait -o after\n"
        '{"topic": "i"}'
    )
    after = ns["after"]
    assert after.status == "interrupted"
    assert sdk.runs.get(after.thread_id, after.run_id)["kwargs"]["interrupt_after"] == [
        "refine_topic",
        "generate_joke",
    ]


def test_resume_answers_an_interrupt(cell, ns):
    cell('%%lgstream interrupt --wait -o ask\n{"topic": "launch"}')
    ask = ns["ask"]
    assert ask.status == "interrupted" and ask.interrupts
    cell("%lgstream interrupt --thread $ask.thread_id --resume '{\"ok\": true}' --wait -o done")
    assert ns["done"].values["result"] == "answer was {'ok': True}"


def test_resume_plain_word_is_a_string(cell, ns):
    cell('%%lgstream interrupt --wait -o ask\n{"topic": "launch"}')
    cell("%lgstream interrupt --thread $ask.thread_id --resume yes --wait -o done")
    assert ns["done"].values["result"] == "answer was 'yes'"


def test_resume_answers_a_review_request(cell, ns):
    """`--resume` sends its value as Command(resume=...): the middleware's decisions format."""
    cell(
        '%%lgstream hitl --wait -o ask\n{"messages": [{"role": "user", "content": '
        '"What is the weather in Rome, and what is 10 divided by 2?"}]}'
    )
    ask = ns["ask"]
    assert ask.status == "interrupted" and ask.interrupt_info[0]["kind"] == "hitl"
    decisions = (
        '{"decisions": [{"type": "edit", "edited_action": {"name": "get_weather", '
        '"args": {"city": "Oslo"}}}, {"type": "reject"}]}'
    )
    cell(f"%lgstream hitl --thread $ask.thread_id --resume '{decisions}' --wait -o done")
    done = ns["done"]
    assert done.status == "success", done.error
    tools = {m["name"]: m["content"] for m in done.values["messages"] if m["type"] == "tool"}
    assert '"called_with": {"city": "Oslo"}' in tools["get_weather"]
    assert "rejected" in tools["divide"]


def test_resumable_multitask_and_on_disconnect_reach_the_sdk(cell, sdk, ns):
    cell('%%lgstream slow --resumable --wait -o first\n{"topic": "r", "delay": 0.01, "tokens": 2}')
    first = ns["first"]
    assert sdk.runs.get(first.thread_id, first.run_id)["kwargs"]["resumable"] is True
    cell(
        "%%lgstream agent --thread $first.thread_id --multitask-strategy enqueue "
        '--on-disconnect continue --wait -o second\n{"topic": "m"}'
    )
    second = ns["second"]
    assert sdk.runs.get(second.thread_id, second.run_id)["multitask_strategy"] == "enqueue"
    assert second.request.sdk_kwargs["on_disconnect"] == "continue"


def test_no_display_shows_nothing(cell, displayed, ns):
    cell('%%lgstream agent --no-display --wait -o quiet\n{"topic": "q"}')
    assert displayed == [] and ns["quiet"].status == "success"


def test_url_and_api_key_env_for_one_cell(cell, server, monkeypatch, capsys, ns):
    secret = "lsv2_pt_not-a-real-key-0123456789"
    monkeypatch.setenv("LGW_TEST_KEY", secret)
    lg_widgets.disconnect()
    cell(
        f"%%lgstream agent --url {server.url} --api-key-env LGW_TEST_KEY --wait -o keyed\n"
        '{"topic": "k"}'
    )
    keyed = ns["keyed"]
    assert keyed.status == "success" and keyed.url == server.url
    assert keyed.connection.api_key_env == "LGW_TEST_KEY"
    shown = capsys.readouterr()
    assert secret not in shown.out + shown.err + repr(keyed.connection)
    assert defaults._default is None  # --url is for this cell only


def test_lgjoin_joins_a_background_run_and_replays_it(cell, sdk, ns):
    thread_id = sdk.threads.create()["thread_id"]
    created = sdk.runs.create(
        thread_id,
        "slow",
        input={"topic": "j", "delay": 0.05, "tokens": 4},
        stream_mode=["updates", "custom"],
        stream_subgraphs=True,
        stream_resumable=True,
    )
    run_id = created["run_id"]
    cell(f"%lgjoin {thread_id} {run_id} --wait -o joined")
    joined = ns["joined"]
    assert joined.status == "success" and joined.run_id == run_id
    assert joined.assistant_id == "slow"
    cell(f"%lgjoin {thread_id} {run_id} --replay --mode updates --subgraphs --wait -o replayed")
    replayed = ns["replayed"]
    assert [next(iter(e.data)) for e in replayed.events if e.mode == "updates"] == [
        "slow_a",
        "slow_llm",
        "slow_c",
    ]
    assert {e.mode for e in replayed.events} <= {"metadata", "updates"}


def test_lgjoin_thread_joins_its_active_run_from_the_start(cell, sdk, ns, usage_error):
    """After a kernel restart only the thread id is known: `%lgjoin THREAD` finds its run."""
    thread_id = sdk.threads.create()["thread_id"]
    created = sdk.runs.create(
        thread_id,
        "slow",
        input={"topic": "r", "delay": 0.3, "tokens": 4},
        stream_mode=["updates", "custom"],
        stream_resumable=True,
    )
    wait_until(
        lambda: sdk.runs.get(thread_id, created["run_id"])["status"] == "running",
        what="the background run to start",
    )
    cell(f"%lgjoin {thread_id} --wait -o rejoined")
    rejoined = ns["rejoined"]
    assert rejoined.run_id == created["run_id"] and rejoined.status == "success"
    assert rejoined.events[0].mode == "metadata"  # replayed from its first event
    assert [next(iter(e.data)) for e in rejoined.events if e.mode == "updates"] == [
        "slow_a",
        "slow_llm",
        "slow_c",
    ]
    shown = usage_error(f"%lgjoin {thread_id}")
    assert shown.startswith(f"Nothing is running on thread {thread_id}: its latest run ")
    assert f"%lgjoin {thread_id} {created['run_id']} --replay" in shown


def test_lgjoin_returns_at_once_without_wait(cell, sdk, displayed, ns):
    thread_id = sdk.threads.create()["thread_id"]
    created = sdk.runs.create(thread_id, "agent", input={"topic": "bg"})
    cell(f"%lgjoin {thread_id} {created['run_id']} -o bg")
    assert len(displayed) == 1
    cell("await bg")
    assert ns["bg"].status == "success"


def test_lgruns_lists_and_cancels(cell, sdk, ns):
    cell('%%lgstream slow -o long\n{"topic": "c", "delay": 0.5, "tokens": 40}')
    long = ns["long"]
    wait_until(lambda: long.run_id and long.status == "running", what="the run to start")
    table = cell("%lgruns")
    row = table[table["run_id"] == long.run_id]
    assert list(row["variable"]) == ["long"] and list(row["status"]) == ["running"]
    cell(f"%lgruns --cancel {long.run_id[:13]}")
    cell("await long")
    assert long.status == "cancelled"
    assert sdk.runs.get(long.thread_id, long.run_id)["status"] == "interrupted"
    assert cell("%lgruns").set_index("run_id").loc[long.run_id, "status"] == "cancelled"


def test_lgruns_lists_runs_started_from_python(cell, ns):
    cell('import lg_widgets\npy = lg_widgets.stream("agent", {"topic": "p"}, thread_id="new")')
    cell("await py")
    table = cell("%lgruns").set_index("run_id")
    assert table.loc[ns["py"].run_id, "origin"] == "python"
    assert table.loc[ns["py"].run_id, "status"] == "success"


def test_lgruns_is_the_process_registry(cell, sdk, ns):
    """%lgruns lists lg_widgets.runs() itself: its rows, their order, the magic that started each
    run and the names that hold it now."""
    cell('%%lgstream agent --wait -o listed\n{"topic": "l"}')
    thread_id = sdk.threads.create()["thread_id"]
    run_id = sdk.runs.create(thread_id, "agent", input={"topic": "j"})["run_id"]
    cell(f"%lgjoin {thread_id} {run_id} --wait -o joined_run")
    cell("also = listed")
    registered = lg_widgets.runs()  # held, so that none is freed before the table is built
    table = cell("%lgruns")
    # a run the server never gave an id (a refused fork, say) shows as pandas' missing value
    assert list(table["run_id"].astype(object).where(table["run_id"].notna(), None)) == [
        run.run_id for run in registered
    ]
    rows = table.set_index("run_id")
    assert tuple(rows.loc[ns["listed"].run_id, ["origin", "variable"]]) == (
        "%%lgstream",
        "also, listed",
    )
    assert tuple(rows.loc[run_id, ["origin", "variable"]]) == ("%lgjoin", "joined_run")
    cell("listed = None")
    assert cell("%lgruns").set_index("run_id").loc[ns["also"].run_id, "variable"] == "also"


def test_lgconnect_headers_are_kept_when_a_cell_passes_api_key_env(
    cell, server, sdk, monkeypatch, ns
):
    """The %lgconnect headers reach the run's client, and so does the cell's key variable; the
    embedded server itself is sent its own secret in its place (never a cloud key)."""
    key = "lsv2_pt_not-a-real-key-0123456789"
    monkeypatch.setenv("LGW_TEST_KEY", key)
    cell(f"%lgconnect {server.url} --header X-Team=notebooks")
    cell('%%lgstream agent --api-key-env LGW_TEST_KEY --wait -o keyed\n{"topic": "h"}')
    thread_id = sdk.threads.create()["thread_id"]
    run_id = sdk.runs.create(thread_id, "agent", input={"topic": "j"})["run_id"]
    cell(f"%lgjoin {thread_id} {run_id} --api-key-env LGW_TEST_KEY --wait -o rejoined")
    for run in (ns["keyed"], ns["rejoined"]):
        assert run.status == "success"
        with run.connection.sync_client() as client:
            headers = client.http.client.headers
        assert headers["X-Team"] == "notebooks" and run.connection.api_key_env == "LGW_TEST_KEY"
        assert headers["x-api-key"] != key and key not in repr(run.connection)


def test_config_defaults(cell, magics, sdk, ip, ns):
    cell("%config LgRunMagics.default_mode = ['updates', 'custom']")
    cell("%config LgRunMagics.default_subgraphs = True")
    cell("%config LgRunMagics.default_thread = 'none'")
    cell("%config LgRunMagics.default_wait = True")
    code = '%%lgstream custom -o run\n{"topic": "d"}'
    assert ip.transform_cell(code).startswith("await ")
    cell(code)
    run = ns["run"]
    assert run.done and run.thread_id is None
    assert run.stream_mode == ["updates", "custom"]
    assert any(e.namespace for e in run.events)  # subgraphs
    cell('%%lgstream custom --no-wait --no-subgraphs --mode values -o quick\n{"topic": "d"}')
    quick = ns["quick"]
    cell("await quick")
    assert quick.stream_mode == ["values"] and not any(e.namespace for e in quick.events)


def test_config_url_is_used_when_nothing_is_connected(cell, server_magics, server, ns):
    lg_widgets.disconnect()
    cell(f"%config LgServerMagics.url = '{server.url}'")
    cell('%%lgstream agent --wait -o run\n{"topic": "u"}')
    assert ns["run"].url == server.url


def test_lgconnect_sets_and_shows_the_connection(cell, server, capsys, monkeypatch, ns):
    monkeypatch.setenv("LGW_TEST_KEY", "lsv2_secret_value")
    lg_widgets.disconnect()
    cell(f"%lgconnect {server.url}/ --api-key-env LGW_TEST_KEY --header X-Team=notebooks")
    out = capsys.readouterr().out
    assert out.startswith("Connected: Connection(url=") and "agent" in out
    assert "lsv2_secret_value" not in out and "notebooks" not in out
    current = defaults.current_connection()
    assert current.url == server.url and current.headers == {"X-Team": "notebooks"}
    cell("%lgconnect")
    # an embedded server of this process gets its secret in place of the key
    assert "api_key=the embedded server's secret (not $LGW_TEST_KEY)" in capsys.readouterr().out
    cell('%%lgstream agent --wait -o run\n{"topic": "h"}')
    assert ns["run"].status == "success"


def test_lgserve_starts_reuses_and_stops(cell, capsys, tmp_path, ns):
    from lg_widgets.demo import DEMO_CONFIG

    cell("%lgserve --reuse")
    assert capsys.readouterr().out.startswith("Using the LangGraph server at")
    cell(f"%lgserve {DEMO_CONFIG}")
    out = capsys.readouterr().out
    assert out.startswith("Embedded LangGraph server at http://127.0.0.1:") and "agent" in out
    url = defaults.current_connection().url
    cell('%%lgstream agent --wait -o run\n{"topic": "s"}')
    assert ns["run"].url == url and ns["run"].status == "success"
    cell("%lgserve")
    assert "already running" in capsys.readouterr().out
    cell("%lgserve --stop")
    assert capsys.readouterr().out.startswith("Stopped the embedded server")
    assert defaults._default is None


def test_the_run_records_what_the_magic_sent(cell, ns):
    cell('%%lgstream agent --mode updates --wait -o run\n{"topic": "rec"}')
    run = ns["run"]
    assert run.request.input == {"topic": "rec"}
    assert json.loads(json.dumps(run.summary(), default=str))["status"] == "success"


def test_wait_without_autoawait_falls_back_to_blocking(ip, cell, ns):
    """`%autoawait off` (or a magic called from code): --wait blocks with run.wait_sync()."""
    code = '%%lgstream agent --wait -o blocked\n{"topic": "b"}'
    ip.autoawait = False
    try:
        assert not ip.transform_cell(code).startswith("await ")
        cell(code)
    finally:
        ip.autoawait = True
    assert ns["blocked"].done and ns["blocked"].status == "success"
    assert ip.run_cell_magic("lgstream", "agent --wait -o direct", '{"topic": "d"}') is None
    assert ns["direct"].done and ns["direct"].values["joke"] == "This is a joke about d and cats"


def test_help_lists_the_options(ip):
    help_text = ip.magics_manager.magics["cell"]["lgstream"].__doc__
    for option in ("--thread", "--mode", "--resume", "--multitask-strategy", "--api-key-env"):
        assert option in help_text
    assert "%config default_wait" in help_text


def test_trailing_comment_is_not_an_argument(cell, ns):
    cell('%%lgstream agent --mode updates --wait -o commented  # a note\n{"topic": "n"}')
    assert ns["commented"].stream_mode == ["updates"] and ns["commented"].status == "success"
