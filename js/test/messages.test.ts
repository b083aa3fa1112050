// The conversation panel: roles, reasoning, tool-call cards and their results, from the wire's
// MessageInfo and Delta pieces (text, reasoning, tool_args).
import { afterEach, beforeEach, describe, expect, it, onTestFinished, vi } from "vitest";
import widget from "../src/index";
import type { Delta, MessageInfo, ToolCallInfo } from "../src/types";
import { delta, FakeModel, header, message, snapshot } from "./fixtures";

const EVIL = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';

let el: HTMLElement;
let dispose: () => void;
const mount = (model: FakeModel) => {
  dispose = widget.render({ model: model as never, el });
};

beforeEach(() => {
  el = document.createElement("div");
  document.body.appendChild(el);
  (window as unknown as { __pwned?: number }).__pwned = undefined;
});
afterEach(() => {
  dispose?.();
  el.remove();
});

const call = (over: Partial<ToolCallInfo> = {}): ToolCallInfo => ({
  index: 0,
  id: "call_1",
  name: "search",
  ...over,
});
const ai = (over: Partial<MessageInfo> = {}) => message({ id: "ai1", node: "agent", ...over });
const toolResult = (over: Partial<MessageInfo> = {}) =>
  message({
    id: "t1",
    node: "tools",
    role: "tool",
    name: "search",
    tool_call_id: "call_1",
    status: "success",
    complete: true,
    first_time: 1001.25,
    latency: 0.25,
    ...over,
  });

const q = <E extends Element = HTMLElement>(selector: string, root: ParentNode = el) =>
  root.querySelector<E & HTMLElement>(selector);
const blocks = () => [...el.querySelectorAll<HTMLElement>('[data-testid="message"]')];
const shown = () => blocks().filter((b) => !b.hidden);
const select = (name: string, value: string) => {
  const filter = q<HTMLSelectElement>(`[data-testid="filter-${name}"]`)!;
  filter.value = value;
  filter.dispatchEvent(new Event("change"));
};

/** A model fed these deltas after an empty snapshot. */
const streamed = (...deltas: Delta[]) => {
  const model = new FakeModel(snapshot());
  mount(model);
  for (const d of deltas) model.custom(d);
  return model;
};

describe("the messages panel", () => {
  it("names a tool call at once, streams its arguments, and pretty-prints them once complete", () => {
    const model = streamed(
      delta(1, { messages: [ai({ tool_calls: [call()] })], tool_args: { ai1: { "0": '{"qu' } } }),
    );
    const card = q('[data-testid="tool-card"]')!;
    expect(q('[data-testid="tool-name"]', card)?.textContent).toBe("search");
    expect(card.dataset.state).toBe("pending");
    expect(q('[data-testid="tool-args"]', card)?.textContent).toBe('{"qu');
    model.custom(delta(2, { tool_args: { ai1: { "0": 'ery": "cats",' } } }));
    const args = q('[data-testid="tool-args"]')!;
    expect(args.textContent).toBe('{"query": "cats",');
    expect(q('[data-testid="tool-card"]')?.dataset.state).toBe("pending");
    model.custom(
      delta(3, {
        messages: [ai({ complete: true, tool_calls: [call()] })],
        tool_args: { ai1: { "0": ' "n": 2}' } },
      }),
    );
    expect(args.textContent).toBe('{\n  "query": "cats",\n  "n": 2\n}');
    expect(q('[data-testid="tool-invalid"]')?.hidden).toBe(true);
    expect(q('[data-testid="tool-card"]')?.dataset.state).toBe("running");
  });

  it("shows a call without a result as waiting while the run stops on an interrupt", () => {
    const model = streamed(
      delta(1, {
        messages: [ai({ complete: true, tool_calls: [call()] })],
        tool_args: { ai1: { "0": "{}" } },
      }),
    );
    const state = () => q('[data-testid="tool-card"]')?.dataset.state;
    expect(state()).toBe("running");
    model.custom(delta(2, { header: header({ status: "interrupted" }) }));
    expect(state()).toBe("waiting");
    expect(q('[data-testid="tool-card"] .lgw-tool-state')?.textContent).toBe("waiting");
    model.custom(delta(3, { header: header({ status: "running", run_id: "run-next" }) }));
    expect(state()).toBe("running");
    model.custom(delta(4, { messages: [toolResult()], text: { t1: "done" } }));
    expect(state()).toBe("success");
  });

  it("shows arguments that do not parse raw, marked invalid", () => {
    streamed(
      delta(1, { messages: [ai({ tool_calls: [call()] })], tool_args: { ai1: { "0": '{"query": "ca' } } }),
      delta(2, { messages: [ai({ complete: true, tool_calls: [call()] })] }),
    );
    expect(q('[data-testid="tool-args"]')?.textContent).toBe('{"query": "ca');
    const invalid = q('[data-testid="tool-invalid"]')!;
    expect(invalid.hidden).toBe(false);
    expect(invalid.textContent).toBe("invalid JSON");
  });

  it("puts a tool's result in the card of its call, with its latency, and not in a block of its own", () => {
    streamed(
      delta(1, {
        messages: [ai({ complete: true, tool_calls: [call()] })],
        tool_args: { ai1: { "0": "{}" } },
      }),
      delta(2, { messages: [toolResult()], text: { t1: "3 cats found" } }),
    );
    expect(blocks()).toHaveLength(1);
    const card = q('[data-testid="tool-card"]')!;
    expect(card.dataset.state).toBe("success");
    expect(q('[data-testid="tool-state"]', card)?.textContent).toBe("success");
    expect(q('[data-testid="tool-result"]', card)?.textContent).toBe("3 cats found");
    expect(q('[data-testid="tool-result"]', card)?.hidden).toBe(false);
    expect(q('[data-testid="tool-latency"]', card)?.textContent).toBe("ran 250 ms");
  });

  it("moves a result shown on its own into the card once its call is known", () => {
    const model = streamed(
      delta(1, { messages: [toolResult()], text: { t1: "early" } }),
      delta(2, { messages: [ai({ tool_calls: [call({ id: null })] })] }),
    );
    expect(blocks().map((b) => b.dataset.role)).toEqual(["tool", "ai"]);
    expect(q('[data-testid="tool-result"]')?.hidden).toBe(true);
    model.custom(
      delta(3, { messages: [ai({ complete: true, tool_calls: [call()] })], text: { t1: " and late" } }),
    );
    expect(blocks().map((b) => b.dataset.role)).toEqual(["ai"]);
    expect(q('[data-testid="tool-result"]')?.textContent).toBe("early and late");
    expect(q('[data-testid="tool-card"]')?.dataset.state).toBe("success");
  });

  it("marks the card as an error when the tool message's status is error", () => {
    streamed(
      delta(1, { messages: [ai({ complete: true, tool_calls: [call()] })] }),
      delta(2, { messages: [toolResult({ status: "error" })], text: { t1: "boom" } }),
    );
    const card = q('[data-testid="tool-card"]')!;
    expect(card.dataset.state).toBe("error");
    expect(q('[data-testid="tool-state"]', card)?.textContent).toBe("error");
    expect(q('[data-testid="tool-result"]', card)?.textContent).toBe("boom");
  });

  it("keeps reasoning collapsed, streaming inside it", () => {
    streamed(
      delta(1, { messages: [ai()], reasoning: { ai1: "Let me " } }),
      delta(2, { reasoning: { ai1: "think." }, text: { ai1: "Answer" } }),
    );
    const reasoning = q<HTMLDetailsElement>('[data-testid="reasoning"]')!;
    expect(reasoning.hidden).toBe(false);
    expect(reasoning.open).toBe(false);
    expect(q(".lgw-reasoning-text", reasoning)?.textContent).toBe("Let me think.");
    expect(q('[data-testid="message"] pre')?.textContent).toBe("Answer");
  });

  it("hides the reasoning box of a message without reasoning", () => {
    streamed(delta(1, { messages: [ai()], text: { ai1: "hi" } }));
    expect(q('[data-testid="reasoning"]')?.hidden).toBe(true);
  });

  it("shows usage where the provider reported it", () => {
    streamed(
      delta(1, { messages: [ai()], text: { ai1: "hi" } }),
      delta(2, {
        messages: [ai({ complete: true, usage: { input_tokens: 12, output_tokens: 34, total_tokens: 46 } })],
      }),
    );
    const usage = q('[data-testid="usage"]')!;
    expect(usage.textContent).toBe("12 in · 34 out");
    expect(usage.title).toBe("46 tokens in total");
  });

  it("shows the input messages first, even when they arrive later", () => {
    streamed(
      delta(1, { messages: [ai()], text: { ai1: "reply" } }),
      delta(2, {
        messages: [message({ id: "h1", role: "human", input: true, complete: true })],
        text: { h1: "question" },
      }),
    );
    expect(blocks().map((b) => b.querySelector("pre")?.textContent)).toEqual(["question", "reply"]);
    expect(q('[data-testid="message-role"]')?.textContent).toBe("human · input");
  });

  it("keeps hostile text in text, names, arguments and results as text", () => {
    const hostileCall = call({ name: EVIL });
    streamed(
      delta(1, {
        messages: [ai({ node: EVIL, tags: [EVIL], tool_calls: [hostileCall] })],
        text: { ai1: EVIL },
        reasoning: { ai1: EVIL },
        tool_args: { ai1: { "0": EVIL } },
      }),
      delta(2, { messages: [ai({ node: EVIL, tags: [EVIL], complete: true, tool_calls: [hostileCall] })] }),
      delta(3, { messages: [toolResult({ name: EVIL, node: EVIL })], text: { t1: EVIL } }),
      delta(4, {
        messages: [toolResult({ id: "t2", tool_call_id: "unknown", name: EVIL })],
        text: { t2: EVIL },
      }),
    );
    expect(el.querySelector("img")).toBeNull();
    expect(el.querySelector("script")).toBeNull();
    expect(q('[data-testid="tool-name"]')?.textContent).toBe(EVIL);
    expect(q('[data-testid="tool-args"]')?.textContent).toBe(EVIL);
    expect(q('[data-testid="tool-result"]')?.textContent).toBe(EVIL);
    expect(blocks().map((b) => b.querySelector("pre")?.textContent)).toEqual([EVIL, EVIL]);
    expect(blocks()[1].querySelector(".lgw-msg-name")?.textContent).toBe(EVIL);
    expect((window as unknown as { __pwned?: number }).__pwned).toBeUndefined();
  });

  it("keeps the message id out of the text, in a title", () => {
    const id = "lc_run--01a20a2f-21b7-74c3-9bfa-9aa7c558b017";
    streamed(delta(1, { messages: [ai({ id })], text: { [id]: "hi" } }));
    const block = blocks()[0];
    expect(block.textContent).not.toContain(id);
    expect(block.textContent).not.toContain(id.slice(-8));
    expect(q('[data-testid="message-role"]', block)?.title).toBe(id);
  });

  it("filters blocks by node, namespace and tag, counting the results in their cards", () => {
    streamed(
      delta(1, {
        messages: [
          message({ id: "h1", role: "human", input: true, complete: true, node: null }),
          ai({ complete: true, tags: ["plan"], tool_calls: [call()] }),
          message({ id: "s1", namespace: "review:1", node: "critic", complete: true }),
        ],
        text: { h1: "q", s1: "ok" },
      }),
      delta(2, { messages: [toolResult()], text: { t1: "found" } }),
    );
    const ids = () => shown().map((b) => b.querySelector("pre")?.textContent || b.dataset.node);
    expect(ids()).toEqual(["q", "agent", "ok"]);
    select("node", "tools"); // the tool's result is in the agent's card
    expect(ids()).toEqual(["agent"]);
    select("node", "agent");
    expect(ids()).toEqual(["agent"]);
    select("node", "");
    select("namespace", "review:1");
    expect(ids()).toEqual(["ok"]);
    select("namespace", "");
    select("tag", "plan");
    expect(ids()).toEqual(["agent"]);
    select("tag", "");
    expect(ids()).toEqual(["q", "agent", "ok"]);
  });

  it("renders a snapshot with whole texts the same as the deltas that built it", () => {
    // the header's elapsed time reads the clock: held still, so both renders are alike
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date(1_010_000));
    onTestFinished(() => {
      vi.useRealTimers();
    });
    const calls = [call(), call({ index: 1, id: "call_2", name: "lookup" })];
    const live = streamed(
      delta(1, {
        messages: [message({ id: "h1", role: "human", input: true, complete: true })],
        text: { h1: "find cats" },
      }),
      delta(2, {
        messages: [ai({ tool_calls: calls })],
        reasoning: { ai1: "I should " },
        text: { ai1: "Searching" },
        tool_args: { ai1: { "0": '{"q":', "1": "[1," } },
      }),
      delta(3, {
        reasoning: { ai1: "search." },
        text: { ai1: "…" },
        tool_args: { ai1: { "0": ' "cats"}', "1": " 2]" } },
      }),
      delta(4, {
        messages: [
          ai({
            complete: true,
            tool_calls: calls,
            usage: { input_tokens: 1, output_tokens: 2, total_tokens: 3 },
          }),
        ],
      }),
      delta(5, { messages: [toolResult()], text: { t1: "3 cats" } }),
    );
    const fromDeltas = el.innerHTML;
    expect(live.sent).toEqual([]);
    dispose();
    el.replaceChildren();

    const snap = snapshot({
      seq: 5,
      messages: [
        message({ id: "h1", role: "human", input: true, complete: true, text: "find cats" }),
        ai({
          complete: true,
          text: "Searching…",
          reasoning: "I should search.",
          usage: { input_tokens: 1, output_tokens: 2, total_tokens: 3 },
          tool_calls: [
            { ...calls[0], args_text: '{"q": "cats"}' },
            { ...calls[1], args_text: "[1, 2]" },
          ],
        }),
        toolResult({ text: "3 cats" }),
      ],
    });
    mount(new FakeModel(snap));
    expect(el.innerHTML).toBe(fromDeltas);
    expect(q('[data-testid="tool-card"]')?.dataset.state).toBe("success");
    expect([...el.querySelectorAll('[data-testid="tool-args"]')].map((a) => a.textContent)).toEqual([
      '{\n  "q": "cats"\n}',
      "[\n  1,\n  2\n]",
    ]);
  });

  it("reads no layout for a change without messages (graph activity), and does for text", () => {
    const model = streamed(delta(1, { messages: [message({ id: "m1" })] }));
    const scroller = q(".lgw-scroll")!;
    let reads = 0;
    Object.defineProperty(scroller, "scrollHeight", {
      get: () => {
        reads++;
        return 1000;
      },
    });
    const activity = {
      status: "running" as const,
      visits: 1,
      seconds: 0,
      running: 1,
      parallel: 1,
      latest: true,
    };
    model.custom(delta(2, { graph_activity: [{ id: "agent", ...activity }] }));
    expect(reads).toBe(0);
    model.custom(delta(3, { text: { m1: "hi" } }));
    expect(reads).toBeGreaterThan(0); // still follows the end as text grows
  });
});
