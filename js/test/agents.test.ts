// Who did what in the view: the tree labelled with agents (a subagent under the tool call that
// started it), per-agent tokens, a task card that opens its agent, the agent filter, and a tool
// card's own time, wait, running state and streamed output.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { middle } from "../src/dom";
import widget from "../src/index";
import type { MessageInfo, TreeNode } from "../src/types";
import { delta, FakeModel, message, snapshot } from "./fixtures";

const EVIL = '<img src=x onerror="window.__pwned=1">';

let el: HTMLElement;
let dispose: () => void;
beforeEach(() => {
  el = document.createElement("div");
  document.body.appendChild(el);
});
afterEach(() => {
  dispose?.();
  el.remove();
});

const node = (over: Partial<TreeNode> & { namespace: string; agent: string }): TreeNode => ({
  name: over.namespace.split("|").pop()?.split(":")[0] || "team",
  cause: "node",
  tool_call_id: null,
  tokens: 0,
  task_id: null,
  left_out: false,
  status: "running",
  events: 1,
  nodes: {},
  first_time: 1000,
  last_time: 1001,
  children: [],
  ...over,
});

const RESEARCHER = "tools:t1";
const tree = (over: Partial<TreeNode> = {}): TreeNode =>
  node({
    namespace: "",
    agent: "coordinator",
    name: "team",
    cause: "run",
    tokens: 30,
    events: 10,
    nodes: { "HumanInTheLoopMiddleware.after_model": 1 },
    children: [
      node({
        namespace: RESEARCHER,
        agent: "researcher",
        cause: "tool_call",
        tool_call_id: "call_task",
        tokens: 12,
        events: 5,
      }),
    ],
    ...over,
  });

const coordinator = (over: Partial<MessageInfo> = {}) =>
  message({
    id: "ai1",
    node: "model",
    complete: true,
    tool_calls: [{ index: 0, id: "call_task", name: "task", args_text: '{"subagent_type": "researcher"}' }],
    ...over,
  });
const researcher = message({
  id: "ai2",
  namespace: RESEARCHER,
  node: "model",
  complete: true,
  text: "Sunny.",
});

const mount = (over: Parameters<typeof snapshot>[0] = {}) => {
  const model = new FakeModel(snapshot({ tree: tree(), messages: [coordinator(), researcher], ...over }));
  dispose = widget.render({ model: model as never, el });
  return model;
};
const all = (selector: string) => [...el.querySelectorAll<HTMLElement>(selector)];
const one = (selector: string, root: ParentNode = el) => root.querySelector<HTMLElement>(selector)!;

describe("agents in the view", () => {
  it("labels the tree with agents, node names beside them, a subagent under its call", () => {
    mount();
    const labels = all('[data-testid="tree-namespace"]');
    expect(labels.map((l) => l.dataset.agent)).toEqual(["coordinator", "researcher"]);
    expect(one('[data-testid="tree-agent"]', labels[0]).textContent).toBe("coordinator");
    expect(one('[data-testid="tree-node-name"]', labels[0]).textContent).toBe(" team");
    // tokens and events counted here and below, said in the title
    expect(labels[0].textContent).toContain("30 tok · 15 ev");
    expect(labels[0].title).toContain("15 events here and below (10 its own");
    // the researcher sits under the row of the `task` call that started it
    const call = one('[data-testid="tree-call"]');
    expect(call.dataset.call).toBe("call_task");
    expect(call.textContent).toContain("task");
    expect(
      call.parentElement?.querySelector<HTMLElement>('[data-testid="tree-namespace"]')?.dataset.agent,
    ).toBe("researcher");
    // a long node name is cut in the middle, whole on hover
    const chip = one('[data-testid="tree-node"]');
    expect(chip.textContent).toBe(middle("HumanInTheLoopMiddleware.after_model", 24));
    expect(chip.textContent?.endsWith("after_model")).toBe(true);
    expect(chip.title).toContain("HumanInTheLoopMiddleware.after_model");
    // the header: tokens per agent
    expect(one('[data-testid="tokens"]').textContent).toBe("· 42 tokens (coordinator 30, researcher 12)");
  });

  it("opens the subagent from its task card, and filters the conversation by agent", () => {
    mount();
    const card = one('[data-testid="tool-card"]');
    const open = one('[data-testid="open-subagent"]', card);
    expect(open.textContent).toContain("researcher");
    expect(open.dataset.namespace).toBe(RESEARCHER);
    open.click();
    const shown = () => all('[data-testid="message"]').filter((b) => !b.hidden);
    expect(shown().map((b) => b.dataset.agent)).toEqual(["researcher"]);
    expect(one('[data-testid="tree-namespace"].lgw-selected').dataset.agent).toBe("researcher");
    one(".lgw-tree .lgw-link").click(); // show all
    expect(shown()).toHaveLength(2);

    const filter = one('[data-testid="filter-agent"]') as HTMLSelectElement;
    expect(filter.hidden).toBe(false);
    expect([...filter.options].map((o) => o.value)).toEqual(["", "coordinator", "researcher"]);
    filter.value = "coordinator";
    filter.dispatchEvent(new Event("change"));
    expect(shown().map((b) => b.dataset.agent)).toEqual(["coordinator"]);
    expect(one('[data-testid="message-agent"]', shown()[0]).textContent).toBe("coordinator");
  });

  it("names a message's agent when the tree names it later, as text", () => {
    const model = mount({ tree: tree({ children: [] }), messages: [coordinator()] });
    model.custom(delta(1, { messages: [researcher] }));
    const last = () => all('[data-testid="message"]').slice(-1)[0];
    expect(last().dataset.agent).toBe("tools"); // the node's name until the tree says
    const evil = tree();
    evil.children[0].agent = EVIL;
    model.custom(delta(2, { tree: evil }));
    expect(last().dataset.agent).toBe(EVIL);
    expect(el.querySelector("img")).toBeNull();
  });

  it("runs a card from its tool's start, grows its streamed output, and gives time and wait apart", () => {
    const model = mount({
      tree: tree({ children: [] }),
      messages: [coordinator({ tool_calls: [{ index: 0, id: "c1", name: "search", args_text: "{}" }] })],
    });
    const card = () => one('[data-testid="tool-card"]');
    expect(card().dataset.state).toBe("running"); // complete, no start said: assumed running
    model.custom(delta(1, { tool_starts: { c1: 1003 } }));
    expect(card().dataset.state).toBe("running");
    // the reducer says "success" for a tool message from its first piece: only `complete` ends it
    const out = message({
      id: "t1",
      role: "tool",
      tool_call_id: "c1",
      name: "search",
      node: "tools",
      status: "success",
    });
    model.custom(delta(2, { messages: [out], text: { t1: "found " } }));
    expect(card().dataset.state).toBe("running");
    model.custom(delta(3, { text: { t1: "3 pages" } }));
    expect(one('[data-testid="tool-result"]', card()).textContent).toBe("found 3 pages");
    model.custom(
      delta(4, {
        message_updates: [{ key: "t1", complete: true, latency: 0.004, waited: 2.9 }],
      }),
    );
    expect(card().dataset.state).toBe("success");
    expect(one('[data-testid="tool-latency"]', card()).textContent).toBe("ran 4 ms");
    expect(one('[data-testid="tool-waited"]', card()).textContent).toBe("waited 2.9 s");
    expect(one('[data-testid="tool-waited"]', card()).hidden).toBe(false);
    model.custom(delta(5, { message_updates: [{ key: "t1", status: "error" }] }));
    expect(card().dataset.state).toBe("error");
  });

  it("says an agent was handed off to, in the tree", () => {
    mount({
      tree: tree({
        children: [node({ namespace: "bob:1", agent: "bob", cause: "handoff", tool_call_id: "h1" })],
      }),
    });
    const bob = all('[data-testid="tree-namespace"]')[1];
    expect(one('[data-testid="tree-stats"]', bob).textContent).toMatch(/^ handed off · running/);
    expect(bob.title).toContain("agent bob (started by a handoff, call h1)");
    expect(el.querySelector('[data-testid="tree-call"]')).toBeNull(); // a handoff is no call row
  });

  it("marks what a framework wrote in an agent's name", () => {
    const back = message({
      id: "s1",
      complete: true,
      synthetic: true,
      owner: RESEARCHER, // at the root, in the researcher's name: it counts for the researcher
      text: "Transferring back to supervisor",
    });
    mount({ messages: [coordinator(), back] });
    const block = all('[data-testid="message"]').find((b) => b.dataset.synthetic === "true")!;
    expect(one('[data-testid="message-role"]', block).textContent).toBe("ai · framework");
    expect(one('[data-testid="message-role"]', block).title).toContain("not its LLM's text");
    expect(one("pre", block).textContent).toBe("Transferring back to supervisor");
    expect(block.dataset.agent).toBe("researcher");
  });

  it("hides the agent filter and names while the run has one agent", () => {
    mount({ tree: tree({ children: [] }), messages: [coordinator()] });
    expect(one('[data-testid="filter-agent"]').hidden).toBe(true);
    expect(one('[data-testid="message-agent"]').textContent).toBe("");
  });
});

describe("middle", () => {
  it("keeps both ends of a long name", () => {
    expect(middle("short", 10)).toBe("short");
    expect(middle("HumanInTheLoopMiddleware.after_model", 20)).toBe("HumanInTh…fter_model");
    expect(middle("HumanInTheLoopMiddleware.after_model", 20)).toHaveLength(20);
  });
});
