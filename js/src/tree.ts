// The agents of the run as a tree of namespaces: each labelled with the agent running there (its
// node or graph name beside it), its tokens, events and time. A subagent started by a tool call
// (deepagents' `task`) sits under a row for that call. Clicking an agent (or its call) selects
// its namespace, which filters the conversation and the timeline to it. An agent whose events
// were left out on the server (a narrowed Agent Protocol subscription, `depth=`) has an "open"
// button: it asks Python to subscribe to its subtree (`run.open`), replayed from the start.
import type { Context } from "./context";
import { formatSeconds, formatTokens, h, middle, replace, shortId } from "./dom";
import type { Panel } from "./panel";
import type { TreeNode } from "./types";

const NAME_CHARS = 24;
const TOOL_CHARS = 30; // a handoff tool: "transfer_back_to_supervisor" whole

/** Events in a namespace and in the namespaces under it. */
export function subtreeEvents(node: TreeNode): number {
  return node.children.reduce((sum, child) => sum + subtreeEvents(child), node.events);
}

/** Total tokens per agent name, in the order the agents first appear (root first). */
export function tokensByAgent(tree: TreeNode | null): Map<string, number> {
  const out = new Map<string, number>();
  const walk = (node: TreeNode) => {
    out.set(node.agent, (out.get(node.agent) ?? 0) + node.tokens);
    for (const child of node.children) walk(child);
  };
  if (tree) walk(tree);
  return out;
}

const CAUSES: Record<string, string> = {
  tool_call: "started by a tool call",
  send: "started by a Send",
  handoff: "started by a handoff",
  node: "a node of its parent",
  run: "the run's graph",
};

/** What the stats line says first of how an agent started, where it is not plain (a handoff
 * whose handing agent is known says so on a line of its own: `handedBy`). */
function started(node: TreeNode): string {
  if (node.cause === "send") return "Send · ";
  return node.cause === "handoff" && !node.handoff?.from_agent ? "handed off · " : "";
}

/** By whom and with which tool a handoff started an agent, on a line of its own that may wrap
 * ("from supervisor · transfer_to_researcher"; a framework's hand-back: "back from researcher ·
 * transfer_back_to_supervisor"), so the stats line keeps its status and tokens in sight. */
function handedBy(node: TreeNode): HTMLElement | null {
  const handoff = node.handoff;
  if (node.cause !== "handoff" || !handoff?.from_agent) return null;
  const from = `${handoff.back ? "back from" : "from"} ${middle(handoff.from_agent, NAME_CHARS)}`;
  const text = ` ${from}${handoff.tool ? ` · ${middle(handoff.tool, TOOL_CHARS)}` : ""}`;
  return h("span", { class: "lgw-muted lgw-tree-from", testid: "tree-from" }, text);
}

/** How an agent started, in its row's title. */
function cause(node: TreeNode): string {
  const handoff = node.handoff;
  const said =
    node.cause === "handoff" && handoff
      ? `${handoff.back ? "the framework handed back" : "handed off"}${handoff.from_agent ? ` from ${handoff.from_agent}` : ""}` +
        `${handoff.from_namespace ? ` (namespace ${handoff.from_namespace})` : ""}${handoff.tool ? ` with ${handoff.tool}` : ""}`
      : (CAUSES[node.cause] ?? node.cause);
  return `${said}${node.tool_call_id ? `, call ${node.tool_call_id}` : ""}`;
}

export function treePanel(ctx: Context): Panel {
  const body = h("div", { class: "lgw-tree-body", testid: "tree" });
  const clear = h("button", { class: "lgw-link", type: "button", hidden: true }, "show all");
  clear.addEventListener("click", () => ctx.selection.set(null));
  const el = h(
    "div",
    { class: "lgw-tree" },
    h("div", { class: "lgw-toolbar" }, h("span", { class: "lgw-subtitle" }, "Agents"), clear),
    body,
  );
  let unnamedCalls = false; // a call row waits for its tool's name (its message not here yet)

  const select = (namespace: string) =>
    ctx.selection.set(ctx.selection.namespace === namespace ? null : namespace);

  const nodeEl = (node: TreeNode, depth: number): HTMLElement => {
    const nodes = Object.entries(node.nodes);
    const total = subtreeEvents(node);
    const where = node.namespace || "root namespace";
    const label = h(
      "button",
      {
        class: `lgw-tree-label${ctx.selection.namespace === node.namespace ? " lgw-selected" : ""}`,
        type: "button",
        title:
          `agent ${node.agent} (${cause(node)})\n` +
          `namespace ${where}, node ${node.name}\n` +
          `${node.tokens} tokens reported by its own messages\n` +
          `${total} events here and below (${node.events} its own; the header counts every event of the run)`,
        testid: "tree-namespace",
      },
      h("span", { class: "lgw-dot", "data-status": node.status }),
      h("span", { class: "lgw-tree-name", testid: "tree-agent" }, middle(node.agent, NAME_CHARS)),
      node.name !== node.agent
        ? h("span", { class: "lgw-tree-node", testid: "tree-node-name" }, ` ${middle(node.name, NAME_CHARS)}`)
        : null,
      handedBy(node),
      h(
        "span",
        { class: "lgw-muted lgw-tree-stats", testid: "tree-stats" },
        ` ${started(node)}${node.status}${node.tokens ? ` · ${formatTokens(node.tokens)} tok` : ""} · ${total} ev · ` +
          formatSeconds(node.last_time - node.first_time),
      ),
    );
    label.dataset.namespace = node.namespace;
    label.dataset.agent = node.agent;
    label.addEventListener("click", () => select(node.namespace));
    const nodeList = h(
      "div",
      { class: "lgw-tree-nodes" },
      ...nodes.map(([name, count]) =>
        h(
          "span",
          { class: "lgw-chip", testid: "tree-node", title: `${name}: ${count} updates` },
          count > 1 ? `${middle(name, NAME_CHARS)} ×${count}` : middle(name, NAME_CHARS),
        ),
      ),
    );
    const wrap = h(
      "div",
      { class: "lgw-tree-item", style: `padding-left:${depth * 12}px` },
      label,
      node.left_out && !ctx.readOnly ? openEl(node) : null,
      nodeList,
    );
    // the subagents a tool call started sit under a row for that call, the others directly
    const byCall = new Map<string, TreeNode[]>();
    const order: Array<TreeNode | string> = [];
    for (const child of node.children) {
      const call = child.cause === "tool_call" ? child.tool_call_id : null;
      if (!call) order.push(child);
      else if (byCall.has(call)) byCall.get(call)?.push(child);
      else {
        byCall.set(call, [child]);
        order.push(call);
      }
    }
    const children = order.map((item) =>
      typeof item === "string" ? callEl(item, byCall.get(item) ?? [], depth + 1) : nodeEl(item, depth + 1),
    );
    return h("div", {}, wrap, ...children);
  };

  /** Subscribe to a subtree left out on the server; the answer or the refusal shows beside it. */
  const openEl = (node: TreeNode): HTMLElement => {
    const note = h("span", { class: "lgw-muted", testid: "tree-open-note" }, " events left out");
    const button = h(
      "button",
      {
        class: "lgw-link",
        type: "button",
        testid: "tree-open",
        title: `subscribe to ${node.namespace} and what runs under it (run.open): its events are replayed from the run's start`,
      },
      "open",
    );
    button.addEventListener("click", () => {
      button.disabled = true;
      note.textContent = " opening…";
      ctx.kernel.request({ type: "open", namespace: node.namespace }).then(
        (answer) => {
          if ("error" in answer) {
            note.textContent = ` ${answer.error}`;
            button.disabled = false;
          }
        },
        (err: Error) => {
          note.textContent = ` ${err.message}`;
          button.disabled = false;
        },
      );
    });
    return h("span", { class: "lgw-tree-open" }, button, note);
  };

  /** A tool call's row, with the agents it started under it. */
  const callEl = (call: string, started: TreeNode[], depth: number): HTMLElement => {
    const name = ctx.store.callName(call);
    if (name === null) unnamedCalls = true;
    const row = h(
      "button",
      {
        class: "lgw-tree-call",
        type: "button",
        testid: "tree-call",
        title: `tool call ${call}${name ? ` (${name})` : ""}: the agent it started runs under it`,
        style: `margin-left:${depth * 12}px`,
      },
      "⚙ ",
      h("span", { class: "lgw-tree-call-name" }, middle(name ?? "tool call", NAME_CHARS)),
      h("span", { class: "lgw-muted" }, ` ${shortId(call)}`),
    );
    row.dataset.call = call;
    row.addEventListener("click", () => select(started[0].namespace));
    return h(
      "div",
      { class: "lgw-tree-under-call" },
      row,
      ...started.map((child) => nodeEl(child, depth + 1)),
    );
  };

  const render = () => {
    const tree = ctx.store.tree;
    clear.hidden = !ctx.selection.active;
    unnamedCalls = false;
    replace(body, tree ? nodeEl(tree, 0) : h("div", { class: "lgw-empty" }, "No events yet."));
  };
  const unsubscribe = ctx.store.subscribe((change) => {
    if (change.tree || change.reset || (unnamedCalls && change.updated.length + change.newMessages.length))
      render();
  });
  ctx.selection.subscribe(render);
  render();
  return { el, shown() {}, hidden() {}, dispose: unsubscribe };
}
