import { describe, expect, it } from "vitest";
import type { Change } from "../src/store";
import { RunStore } from "../src/store";
import { delta, header, message, snapshot } from "./fixtures";

const msg = (id: string, node = "writer") => message({ id, node, tags: ["t"] });

describe("RunStore", () => {
  it("applies deltas in order and appends token pieces", () => {
    const store = new RunStore();
    store.applySnapshot(snapshot());
    expect(store.applyDelta(delta(1, { messages: [msg("m1")], text: { m1: "Hel" } }))).toBe("applied");
    expect(store.applyDelta(delta(2, { text: { m1: "lo" } }))).toBe("applied");
    expect(store.messages.get("m1")?.text).toBe("Hello");
    expect(store.seq).toBe(2);
  });

  it("names messages by their short key and applies updates of only what changed", () => {
    const store = new RunStore();
    store.applySnapshot(snapshot());
    const changes: Change[] = [];
    store.subscribe((c) => changes.push(c));
    const first = { index: 0, id: "c0", name: "search" };
    const info = message({ id: "lc_run--long-id", key: "0", tool_calls: [first] });
    store.applyDelta(delta(1, { messages: [info], tool_args: { "0": { "0": '{"q":' } } }));
    const second = { index: 1, id: "c1", name: "add" };
    store.applyDelta(
      delta(2, {
        message_updates: [{ key: "0", tool_calls: [second] }],
        tool_args: { "0": { "0": " 1}", "1": "{}" } },
      }),
    );
    const usage = { input_tokens: 1, output_tokens: 2, total_tokens: 3 };
    store.applyDelta(
      delta(3, {
        message_updates: [{ key: "0", complete: true, usage, tool_calls: [{ index: 0, name: "find" }] }],
      }),
    );
    const m = store.messages.get("lc_run--long-id");
    expect(m?.complete).toBe(true);
    expect(m?.usage).toEqual(usage);
    expect(m?.node).toBe(null); // untouched by the updates
    expect(m?.tool_calls).toEqual([
      { ...first, name: "find", args_text: '{"q": 1}' },
      { ...second, args_text: "{}" },
    ]);
    expect(changes[1].updated).toEqual(["lc_run--long-id"]);
    expect(changes[1].toolArgs.get("lc_run--long-id")?.get(1)).toBe("{}");
    expect(changes[2].completed).toEqual(["lc_run--long-id"]);
  });

  it("fills in what a lean info leaves out with its default", () => {
    const store = new RunStore();
    const lean = { id: "m1", key: "0", node: "agent", first_time: 1 };
    store.applySnapshot(
      snapshot({ messages: [{ ...lean, tool_calls: [{ index: 0, id: "c", name: "f" }] }] }),
    );
    const m = store.messages.get("m1");
    expect(m).toMatchObject({ namespace: "", tags: [], complete: false, name: null, usage: null });
    expect(m).toMatchObject({ tool_call_id: null, status: null, input: false, text: "" });
    expect(m).toMatchObject({ role: "ai", latency: null });
    expect(m?.tool_calls).toEqual([{ index: 0, id: "c", name: "f", args_text: "" }]);
  });

  it("ignores stale deltas and holds deltas after a gap until the gap is filled", () => {
    const store = new RunStore();
    store.applySnapshot(snapshot());
    store.applyDelta(delta(1, { messages: [msg("m1")], text: { m1: "a" } }));
    expect(store.applyDelta(delta(1, { text: { m1: "a" } }))).toBe("stale");
    expect(store.applyDelta(delta(3, { text: { m1: "c" } }))).toBe("gap");
    expect(store.hasGap).toBe(true);
    expect(store.messages.get("m1")?.text).toBe("a");
    store.applyDelta(delta(2, { text: { m1: "b" } }));
    expect(store.messages.get("m1")?.text).toBe("abc");
    expect(store.hasGap).toBe(false);
  });

  it("a newer snapshot replaces everything and releases buffered deltas after it", () => {
    const store = new RunStore();
    store.applySnapshot(snapshot());
    store.applyDelta(delta(5, { text: { m1: "!" } })); // gap: 1..4 were missed
    const fresh = snapshot({
      seq: 4,
      messages: [{ ...msg("m1"), text: "full text" }],
      counts: { messages: 9 },
    });
    expect(store.applySnapshot(fresh)).toBe(true);
    expect(store.messages.get("m1")?.text).toBe("full text!");
    expect(store.seq).toBe(5);
    expect(store.totalEvents).toBe(9);
  });

  it("an older snapshot does not roll the view back", () => {
    const store = new RunStore();
    store.applySnapshot(snapshot());
    store.applyDelta(delta(1, { messages: [msg("m1")], text: { m1: "new" } }));
    expect(store.applySnapshot(snapshot({ seq: 0, messages: [] }))).toBe(false);
    expect(store.messages.get("m1")?.text).toBe("new");
  });

  it("reports what changed so panels update incrementally", () => {
    const store = new RunStore();
    store.applySnapshot(snapshot());
    const changes: unknown[] = [];
    store.subscribe((c) => changes.push(c));
    store.applyDelta(
      delta(1, {
        header: header({ status: "success" }),
        messages: [msg("m1")],
        text: { m1: "x" },
        rows: [
          {
            index: 0,
            seq: 3,
            time: 1001,
            mode: "updates",
            namespace: "",
            node: "a",
            step: 1,
            changed: ["k"],
            preview: "k=1",
            checkpoint_id: null,
          },
        ],
      }),
    );
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ reset: false, header: true, newMessages: ["m1"], rowsFrom: 0 });
    expect(store.rows).toHaveLength(1);
  });

  it("gives a row the checkpoint it got after it was sent", () => {
    const store = new RunStore();
    store.applySnapshot(snapshot());
    const row = {
      index: 0,
      seq: 3,
      time: 1001,
      mode: "updates",
      namespace: "",
      node: "a",
      step: 1,
      changed: ["k"],
      preview: "k=1",
      checkpoint_id: null,
    };
    store.applyDelta(delta(1, { rows: [row, { ...row, index: 1, seq: 4 }] }));
    store.applyDelta(delta(2, { checkpoints: { "1": "cp-1", "7": "cp-7" } }));
    expect(store.rows.map((r) => r.checkpoint_id)).toEqual([null, "cp-1"]);
  });

  it("merges a re-sent info by id, keeping the text, reasoning and arguments streamed so far", () => {
    const store = new RunStore();
    store.applySnapshot(snapshot());
    const call = { index: 0, id: "c1", name: "search" };
    store.applyDelta(
      delta(1, {
        messages: [message({ id: "m1", tool_calls: [call] })],
        text: { m1: "Let me look" },
        reasoning: { m1: "hmm" },
        tool_args: { m1: { "0": '{"q": ' } },
      }),
    );
    const changes: Change[] = [];
    store.subscribe((c) => changes.push(c));
    store.applyDelta(
      delta(2, {
        messages: [message({ id: "m1", complete: true, tool_calls: [{ ...call, name: "find" }] })],
        tool_args: { m1: { "0": '"cats"}' } },
      }),
    );
    const m = store.messages.get("m1");
    expect(m).toMatchObject({ complete: true, text: "Let me look", reasoning: "hmm" });
    expect(m?.tool_calls).toEqual([{ ...call, name: "find", args_text: '{"q": "cats"}' }]);
    expect(changes[0]).toMatchObject({ newMessages: [], updated: ["m1"], completed: ["m1"] });
    expect(changes[0].toolArgs.get("m1")).toEqual(new Map([[0, '"cats"}']]));
  });

  it("keeps argument pieces that came before their call's info, nameless until it arrives", () => {
    const store = new RunStore();
    store.applySnapshot(snapshot());
    store.applyDelta(delta(1, { messages: [message({ id: "m1" })], tool_args: { m1: { "1": "[1" } } }));
    expect(store.messages.get("m1")?.tool_calls).toEqual([
      { index: 1, id: null, name: null, args_text: "[1" },
    ]);
    const call = { index: 1, id: "c1", name: "add" };
    store.applyDelta(
      delta(2, { messages: [message({ id: "m1", tool_calls: [call] })], tool_args: { m1: { "1": "]" } } }),
    );
    expect(store.messages.get("m1")?.tool_calls).toEqual([{ ...call, args_text: "[1]" }]);
  });

  it("takes whole texts from a snapshot's infos", () => {
    const store = new RunStore();
    const call = { index: 0, id: "c1", name: "search", args_text: "{}" };
    store.applySnapshot(
      snapshot({ messages: [message({ id: "m1", text: "a", reasoning: "r", tool_calls: [call] })] }),
    );
    store.applyDelta(delta(1, { reasoning: { m1: "s" }, tool_args: { m1: { "0": " " } } }));
    expect(store.messages.get("m1")).toMatchObject({ text: "a", reasoning: "rs" });
    expect(store.messages.get("m1")?.tool_calls[0].args_text).toBe("{} ");
  });
});
