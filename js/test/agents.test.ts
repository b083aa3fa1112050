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
  handoff: null,
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

  // a supervisor's run: the supervisor hands off to the researcher, the framework hands back
  const SUPERVISOR = "supervisor:s1";
  const WORKER = "researcher:r1";
  const AGAIN = "supervisor:s2";
  const supervised = () =>
    tree({
      agent: "supervisor",
      name: "supervisor",
      tokens: 0,
      children: [
        node({ namespace: SUPERVISOR, agent: "supervisor", tokens: 10, status: "success" }),
        node({
          namespace: WORKER,
          agent: "researcher",
          cause: "handoff",
          tool_call_id: "call_to",
          handoff: {
            from_agent: "supervisor",
            from_namespace: SUPERVISOR,
            tool: "transfer_to_researcher",
            back: false,
          },
          tokens: 32,
          status: "success",
        }),
        node({
          namespace: AGAIN,
          agent: "supervisor",
          cause: "handoff",
          tool_call_id: "call_back",
          handoff: {
            from_agent: "researcher",
            from_namespace: WORKER,
            tool: "transfer_back_to_supervisor",
            back: true,
          },
          tokens: 5,
        }),
      ],
    });
  const handing = () => [
    message({
      id: "ai1",
      namespace: SUPERVISOR,
      node: "agent",
      complete: true,
      tool_calls: [{ index: 0, id: "call_to", name: "transfer_to_researcher", args_text: "{}" }],
    }),
    message({
      id: "ai2",
      complete: true,
      synthetic: true,
      owner: WORKER,
      text: "Transferring back to supervisor",
      tool_calls: [{ index: 0, id: "call_back", name: "transfer_back_to_supervisor", args_text: "{}" }],
    }),
  ];

  it("links a handoff's card to the agent it started, and a hand-back to the framework's", () => {
    mount({ tree: supervised(), messages: handing() });
    const [to, back] = all('[data-testid="tool-card"]');
    const open = one('[data-testid="open-handoff"]', to);
    expect(open.textContent).toBe("→ researcher · success · 32 tok ›");
    expect(open.dataset.namespace).toBe(WORKER);
    expect(to.dataset.handoff).toBe("to");
    expect(to.querySelector('[data-testid="open-subagent"]')).toBeNull();
    const home = one('[data-testid="open-handoff"]', back);
    expect(home.textContent).toBe("← back to supervisor · framework · running · 5 tok ›");
    expect(home.title).toContain("not an agent's LLM");
    expect(back.dataset.handoff).toBe("back");

    open.click();
    expect(one('[data-testid="tree-namespace"].lgw-selected').dataset.namespace).toBe(WORKER);
    home.click();
    expect(one('[data-testid="tree-namespace"].lgw-selected').dataset.namespace).toBe(AGAIN);
    const shown = all('[data-testid="message"]').filter((b) => !b.hidden);
    expect(shown).toHaveLength(0); // that visit wrote nothing yet: only its namespace is shown
  });

  it("says in the tree who handed off to an agent, and with which call", () => {
    mount({ tree: supervised(), messages: handing() });
    const [, first, worker, again] = all('[data-testid="tree-namespace"]');
    expect(one('[data-testid="tree-stats"]', first).textContent).toMatch(/^ success/);
    expect(first.querySelector('[data-testid="tree-from"]')).toBeNull();
    expect(one('[data-testid="tree-from"]', worker).textContent).toBe(
      " from supervisor · transfer_to_researcher",
    );
    expect(one('[data-testid="tree-stats"]', worker).textContent).toMatch(/^ success · 32 tok/);
    expect(worker.title).toContain(
      `agent researcher (handed off from supervisor (namespace ${SUPERVISOR}) with transfer_to_researcher, call call_to)`,
    );
    expect(one('[data-testid="tree-from"]', again).textContent).toBe(
      " back from researcher · transfer_back_to_supervisor",
    );
    expect(one('[data-testid="tree-stats"]', again).textContent).toMatch(/^ running · 5 tok/);
    expect(again.title).toContain("the framework handed back from researcher");
  });

  it("updates a handoff's link when the agent it started moves on", () => {
    const model = mount({ tree: supervised(), messages: handing() });
    const done = supervised();
    done.children[2].status = "success";
    done.children[2].tokens = 9;
    model.custom({ type: "delta", seq: 1, tree: done });
    const [, back] = all('[data-testid="tool-card"]');
    expect(one('[data-testid="open-handoff"]', back).textContent).toBe(
      "← back to supervisor · framework · success · 9 tok ›",
    );
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
