// The conversation: one block per message (role, namespace, node), the run's input first, then
// messages in the order they began. An AI message's tool calls are cards inside its block, and a
// tool's result lands in the card of the call it answers rather than in a block of its own.
//
// Streamed text (LLM text, reasoning, tool arguments, results) is appended to Text nodes
// (appendData), so streaming never re-renders a message. Text is split into block-level chunks of
// a few KB: appending to one ever-growing text node makes the browser lay out the whole message on
// every update (measured: 2 ms per update at the start of a 20k-token message, 14 ms at its end;
// with chunks, 0.5 ms flat).
//
// A change's pieces are appended to what was shown before it; anything the change adds (a block, a
// card, a result in a card) is then built from the store's whole state, which holds those pieces.
import type { Context } from "./context";
import { formatSeconds, formatTokens, h, middle, namespaceLabel } from "./dom";
import { filterSelect } from "./filter";
import { followEnd } from "./follow";
import type { Panel } from "./panel";
import type { Change, Message, ToolCall } from "./store";
import type { TreeNode, Usage } from "./types";

/** Text that grows by pieces, in block-level chunks. */
export interface ChunkedText {
  el: HTMLElement;
  text: Text; // the last chunk's text node
  chunkLength: number;
}

const CHUNK_CHARS = 4096;

/** A new block-level chunk; later pieces go there. */
const startChunk = (sink: ChunkedText): void => {
  sink.text = document.createTextNode("");
  sink.el.appendChild(h("span", { class: "lgw-chunk" }, sink.text));
  sink.chunkLength = 0;
};

/** Append a piece, starting a new chunk after a newline or at a word boundary once it is full. */
export const appendPiece = (sink: ChunkedText, piece: string): void => {
  if (sink.chunkLength >= CHUNK_CHARS) {
    const newline = piece.lastIndexOf("\n");
    if (newline >= 0) {
      sink.text.appendData(piece.slice(0, newline + 1));
      startChunk(sink);
      piece = piece.slice(newline + 1);
    } else if (/^\s/.test(piece) || sink.chunkLength >= 4 * CHUNK_CHARS) {
      startChunk(sink);
    }
  }
  sink.text.appendData(piece);
  sink.chunkLength += piece.length;
};

/** Chunked text in `el`, starting with `text`. */
const chunked = (el: HTMLElement, text: string): ChunkedText => {
  const sink: ChunkedText = { el, text: document.createTextNode(""), chunkLength: 0 };
  resetText(sink, text);
  return sink;
};

const resetText = (sink: ChunkedText, text: string): void => {
  sink.el.replaceChildren();
  startChunk(sink);
  if (text) appendPiece(sink, text);
};

/** A duration in ms under a second, else in seconds (a tool's own time, an approval's wait). */
export const latencyLabel = (seconds: number): string =>
  seconds >= 0 && seconds < 1 ? `${Math.round(seconds * 1000)} ms` : formatSeconds(seconds);

const usageLabel = (usage: Usage): string => `${usage.input_tokens} in · ${usage.output_tokens} out`;

/** A call's arguments as shown once its message is complete: pretty JSON, or the raw string. */
export const prettyArgs = (raw: string): { text: string; valid: boolean } => {
  if (!raw.trim()) return { text: raw, valid: true };
  try {
    return { text: JSON.stringify(JSON.parse(raw), null, 2), valid: true };
  } catch {
    return { text: raw, valid: false };
  }
};

// "waiting": the run stopped on an interrupt before the tool ran (a person reviews the call);
// "running": the stream said the tool started, or its output streams, and it has not ended
type CardState = "pending" | "running" | "waiting" | "success" | "error";

interface Card {
  el: HTMLElement;
  owner: Block;
  index: number; // the call's index in its message
  id: string | null; // the call id it is registered under
  name: HTMLElement;
  state: HTMLElement;
  latency: HTMLElement;
  waited: HTMLElement;
  invalid: HTMLElement;
  subagent: HTMLElement; // the agents this call started (deepagents' `task`), a click opens one
  subagentKey: string;
  args: ChunkedText;
  pretty: boolean; // arguments shown pretty-printed (the message is complete)
  resultEl: HTMLElement;
  result: ChunkedText;
  answer: Message | null; // the tool message with the result
}

interface Block {
  el: HTMLElement;
  message: Message;
  role: HTMLElement;
  agent: HTMLElement;
  name: HTMLElement;
  status: HTMLElement;
  tags: HTMLElement;
  usage: HTMLElement;
  reasoning: ChunkedText;
  reasoningEl: HTMLDetailsElement;
  text: ChunkedText;
  calls: HTMLElement;
  cards: Map<number, Card>;
}

/** Whether a store change adds to or alters a message. */
function touchesMessages(change: Change): boolean {
  return (
    change.newMessages.length > 0 ||
    change.updated.length > 0 ||
    change.appended.size > 0 ||
    change.reasoning.size > 0 ||
    change.toolArgs.size > 0
  );
}

export function messagesPanel(ctx: Context): Panel {
  const nodeFilter = filterSelect("node", "all nodes");
  const namespaceFilter = filterSelect("namespace", "all namespaces");
  const tagFilter = filterSelect("tag", "all tags");
  const agentFilter = filterSelect("agent", "all agents");
  agentFilter.el.hidden = true; // shown once the run has two agents
  const agents = new Set<string>();
  const empty = h(
    "div",
    { class: "lgw-empty" },
    'No messages yet (stream with stream_mode including "messages-tuple").',
  );
  const inputs = h("div", { class: "lgw-messages-input", testid: "messages-input" });
  const list = h("div", { class: "lgw-messages-list", testid: "messages" });
  const scroller = h("div", { class: "lgw-scroll" }, empty, inputs, list);
  const el = h(
    "div",
    { class: "lgw-panel lgw-messages" },
    h("div", { class: "lgw-toolbar" }, agentFilter.el, nodeFilter.el, namespaceFilter.el, tagFilter.el),
    scroller,
  );

  const blocks = new Map<string, Block>(); // message id -> its block
  const cardsByCall = new Map<string, Card>(); // tool call id -> its card
  const answered = new Map<string, Card>(); // tool message id -> the card showing it
  const waiting = new Map<string, string>(); // tool call id -> tool message shown as a block
  const follower = followEnd(scroller);

  // the agent a message speaks for: its namespace's, or its owner's (what a framework wrote in
  // an agent's name); a tool's result is in its caller's card
  const agentOf = (m: Message) => ctx.store.agentOf(m.owner ?? m.namespace);
  const matches = (m: Message) =>
    ctx.selection.includes(m.namespace, m.node) &&
    agentFilter.matches(agentOf(m)) &&
    nodeFilter.matches(m.node ?? "") &&
    namespaceFilter.matches(m.namespace) &&
    (!tagFilter.value || m.tags.includes(tagFilter.value));

  /** A block shows when its message or one of the results in its cards passes the filters. */
  const refresh = (block: Block) => {
    block.el.hidden =
      !matches(block.message) && ![...block.cards.values()].some((c) => c.answer && matches(c.answer));
  };

  const addOptions = (m: Message) => {
    nodeFilter.add(m.node ?? "", m.node ?? "(no node)");
    namespaceFilter.add(m.namespace, namespaceLabel(m.namespace));
    for (const tag of m.tags) tagFilter.add(tag);
  };

  const callOf = (card: Card): ToolCall | undefined =>
    card.owner.message.tool_calls.find((c) => c.index === card.index);

  const updateCard = (card: Card) => {
    const call = callOf(card);
    const answer = card.answer;
    const started = call?.id ? ctx.store.toolStarts.has(call.id) : false;
    const state: CardState = answer
      ? answer.status === "error"
        ? "error"
        : answer.complete
          ? "success"
          : "running" // its output streams in
      : started
        ? "running"
        : card.owner.message.complete
          ? ctx.store.header?.status === "interrupted"
            ? "waiting"
            : "running"
          : "pending";
    card.el.dataset.state = state;
    card.state.textContent = state;
    card.name.textContent = call?.name ?? "…";
    const latency = answer?.latency ?? null;
    card.latency.textContent = latency !== null ? `ran ${latencyLabel(latency)}` : "";
    card.latency.title =
      latency !== null
        ? "the tool's own time, from its start to its result (without any wait before it)"
        : "";
    const waited = answer?.waited ?? null;
    // a wait worth saying: a person's approval, not the scheduler's few milliseconds
    card.waited.hidden = waited === null || waited < 0.05;
    card.waited.textContent = waited !== null ? `waited ${latencyLabel(waited)}` : "";
    card.waited.title = "from the call's last argument to the tool's start: an approval's wait";
    if (call?.id && card.id !== call.id) register(card, call.id);
    if (card.owner.message.complete && call && !card.pretty) showPretty(card, call);
  };

  const showPretty = (card: Card, call: ToolCall) => {
    const { text, valid } = prettyArgs(call.args_text);
    resetText(card.args, text);
    card.invalid.hidden = valid;
    card.pretty = true;
  };

  /** Known by its call id: a result shown as a block while the call was unknown moves in. */
  const register = (card: Card, id: string) => {
    card.id = id;
    card.el.title = `tool call ${id}`;
    card.el.dataset.call = id;
    if (!cardsByCall.has(id)) cardsByCall.set(id, card);
    showSubagents(card);
    const waitingId = waiting.get(id);
    const block = waitingId === undefined ? undefined : blocks.get(waitingId);
    if (block && !card.answer) {
      waiting.delete(id);
      blocks.delete(block.message.id);
      block.el.remove();
      attach(card, block.message);
    }
  };

  const attach = (card: Card, answer: Message) => {
    card.answer = answer;
    answered.set(answer.id, card);
    resetText(card.result, answer.text);
    card.resultEl.hidden = false;
    updateCard(card);
    refresh(card.owner);
  };

  /** The agents the card's call started, each a button that opens it (selects its namespace,
   * so the tree and the conversation show that agent): a subagent (deepagents' `task`), or the
   * agent a handoff started (`→ researcher`; a framework's hand-back: `← back to supervisor`).
   * Rebuilt when what it shows changed. */
  const showSubagents = (card: Card) => {
    const started: TreeNode[] = (card.id && ctx.store.subagents.get(card.id)) || [];
    const handed = card.id ? ctx.store.handoffs.get(card.id) : undefined;
    const all = handed ? [...started, handed] : started;
    const key = all.map((n) => `${n.namespace}|${n.agent}|${n.status}|${n.tokens}`).join(";");
    if (key === card.subagentKey) return;
    card.subagentKey = key;
    card.subagent.hidden = !all.length;
    card.el.dataset.handoff = handed ? (handed.handoff?.back ? "back" : "to") : "";
    card.subagent.replaceChildren(
      ...all.map((node) => {
        const stats = `${node.status}${node.tokens ? ` · ${formatTokens(node.tokens)} tok` : ""} ›`;
        const agent = middle(node.agent, 30);
        const back = node === handed && node.handoff?.back;
        const open = h(
          "button",
          {
            type: "button",
            testid: node === handed ? "open-handoff" : "open-subagent",
            title:
              node !== handed
                ? `open agent ${node.agent} (namespace ${node.namespace}): show its messages and its place in the tree`
                : back
                  ? `the framework handed back to ${node.agent} (its call, not an agent's LLM): open that visit of ${node.agent} (namespace ${node.namespace})`
                  : `handed off to ${node.agent}: open it (namespace ${node.namespace}), its messages and its place in the tree`,
          },
          node !== handed
            ? `↳ ${agent} · ${stats}`
            : back
              ? `← back to ${agent} · framework · ${stats}`
              : `→ ${agent} · ${stats}`,
        );
        open.dataset.namespace = node.namespace;
        open.addEventListener("click", (e) => {
          e.stopPropagation();
          ctx.selection.set(node.namespace);
        });
        return open;
      }),
    );
  };

  const addCard = (block: Block, call: ToolCall): Card => {
    const name = h("span", { class: "lgw-tool-name", testid: "tool-name" });
    const state = h("span", { class: "lgw-tool-state", testid: "tool-state" });
    const latency = h("span", { class: "lgw-tool-latency", testid: "tool-latency" });
    const waited = h("span", { class: "lgw-tool-waited", testid: "tool-waited", hidden: true });
    const subagent = h("div", { class: "lgw-tool-subagent", testid: "tool-subagent", hidden: true });
    const invalid = h("span", { class: "lgw-tool-invalid", testid: "tool-invalid" }, "invalid JSON");
    invalid.hidden = true;
    const argsEl = h("div", { class: "lgw-tool-args", testid: "tool-args" });
    const resultEl = h("div", { class: "lgw-tool-result", testid: "tool-result" });
    resultEl.hidden = true;
    const cardEl = h(
      "div",
      { class: "lgw-tool", testid: "tool-card" },
      h("div", { class: "lgw-tool-head" }, name, state, latency, waited, invalid),
      argsEl,
      subagent,
      resultEl,
    );
    const card: Card = {
      el: cardEl,
      owner: block,
      index: call.index,
      id: null,
      name,
      state,
      latency,
      waited,
      invalid,
      subagent,
      subagentKey: "",
      args: chunked(argsEl, call.args_text),
      pretty: false,
      resultEl,
      result: chunked(resultEl, ""),
      answer: null,
    };
    block.cards.set(call.index, card);
    block.calls.appendChild(cardEl);
    updateCard(card);
    return card;
  };

  /** Show each call of the block's message: new ones get a card, known ones are updated. */
  const syncCards = (block: Block) => {
    for (const call of block.message.tool_calls) {
      const card = block.cards.get(call.index);
      if (card) updateCard(card);
      else addCard(block, call);
    }
  };

  const updateMeta = (block: Block) => {
    const m = block.message;
    block.el.dataset.ns = m.namespace; // read by tests/browser (DOM attribute, not a wire field)
    block.el.dataset.node = m.node ?? "";
    block.el.dataset.complete = String(m.complete);
    block.el.dataset.role = m.role;
    block.el.classList.toggle("lgw-input", m.input);
    block.role.textContent = m.input ? `${m.role} · input` : m.synthetic ? `${m.role} · framework` : m.role;
    block.role.title = m.synthetic
      ? `${m.id}: written by the framework in the agent's name (a handoff), not its LLM's text`
      : m.id;
    block.el.dataset.synthetic = String(m.synthetic);
    showAgent(block);
    block.name.textContent = m.name ?? "";
    block.status.textContent = m.role === "tool" && m.status ? m.status : "";
    block.status.dataset.status = m.status ?? "";
    block.tags.textContent = m.tags.length ? `#${m.tags.join(" #")}` : "";
    block.usage.textContent = m.usage ? usageLabel(m.usage) : "";
    block.usage.title = m.usage ? `${m.usage.total_tokens} tokens in total` : "";
    const container = m.input ? inputs : list;
    if (block.el.parentElement !== container) container.appendChild(block.el);
  };

  /** The agent's name on a block once the run has several (the tree may name it after the
   * message came). */
  const showAgent = (block: Block) => {
    const agent = agentOf(block.message);
    const shown = agents.size > 1 ? middle(agent, 30) : "";
    block.el.dataset.agent = agent;
    if (block.agent.textContent === shown) return;
    block.agent.textContent = shown;
    block.agent.title = `agent ${agent}`;
  };

  const copyId = (id: string) => {
    navigator.clipboard?.writeText(id).catch(() => {});
  };

  const addBlock = (m: Message): Block => {
    const role = h("span", { class: "lgw-role", testid: "message-role", title: m.id });
    role.addEventListener("click", () => copyId(m.id));
    const where = h(
      "span",
      { class: "lgw-where", title: m.namespace || "root namespace" },
      h("span", { class: "lgw-ns" }, namespaceLabel(m.namespace)),
      " · ",
      h("span", { class: "lgw-node", title: m.node ?? "" }, middle(m.node ?? "(no node)", 32)),
    );
    const agent = h("span", { class: "lgw-agent", testid: "message-agent" });
    const name = h("span", { class: "lgw-msg-name" });
    const status = h("span", { class: "lgw-msg-status", testid: "message-status" });
    const tags = h("span", { class: "lgw-tags" });
    const usage = h("span", { class: "lgw-usage", testid: "usage" });
    const reasoningText = h("div", { class: "lgw-reasoning-text" });
    const reasoningEl = h(
      "details",
      { class: "lgw-reasoning", testid: "reasoning" },
      h("summary", {}, "reasoning"),
      reasoningText,
    );
    reasoningEl.hidden = !m.reasoning;
    const pre = h("pre", { class: "lgw-msg-text" });
    pre.hidden = !m.text;
    const calls = h("div", { class: "lgw-tool-calls" });
    const block: Block = {
      el: h(
        "div",
        { class: "lgw-msg", testid: "message" },
        h("div", { class: "lgw-msg-meta" }, role, agent, where, name, status, tags, usage),
        reasoningEl,
        pre,
        calls,
      ),
      message: m,
      role,
      agent,
      name,
      status,
      tags,
      usage,
      reasoning: chunked(reasoningText, m.reasoning),
      reasoningEl,
      text: chunked(pre, m.text),
      calls,
      cards: new Map(),
    };
    blocks.set(m.id, block);
    updateMeta(block);
    syncCards(block);
    refresh(block);
    empty.hidden = true;
    return block;
  };

  /** A new message: a tool's result goes to its call's card when that is shown, else a block. */
  const place = (m: Message) => {
    addOptions(m);
    const card = m.role === "tool" && m.tool_call_id ? cardsByCall.get(m.tool_call_id) : undefined;
    if (card && !card.answer) attach(card, m);
    else {
      addBlock(m);
      if (m.role === "tool" && m.tool_call_id) waiting.set(m.tool_call_id, m.id);
    }
  };

  /** A known message's info was re-sent. */
  const update = (m: Message) => {
    addOptions(m);
    const card = answered.get(m.id);
    if (card) {
      updateCard(card);
      refresh(card.owner);
      return;
    }
    const block = blocks.get(m.id);
    if (!block) return;
    const target = m.role === "tool" && m.tool_call_id ? cardsByCall.get(m.tool_call_id) : undefined;
    if (target && !target.answer) {
      blocks.delete(m.id);
      block.el.remove();
      attach(target, m);
      return;
    }
    if (m.role === "tool" && m.tool_call_id) waiting.set(m.tool_call_id, m.id);
    updateMeta(block);
    syncCards(block);
    refresh(block);
  };

  const rebuild = () => {
    blocks.clear();
    cardsByCall.clear();
    answered.clear();
    waiting.clear();
    inputs.replaceChildren();
    list.replaceChildren();
    for (const m of ctx.store.messages.values()) place(m);
    empty.hidden = blocks.size > 0;
    agentsChanged();
  };

  /** A new tree: agents named since, subagents started (O(blocks + cards), once per tree). */
  const agentsChanged = () => {
    // the agents as the tree names them (a name the tree has not given yet is no option)
    for (const node of ctx.store.namespaces.values()) agents.add(node.agent);
    for (const block of blocks.values()) showAgent(block);
    for (const agent of agents) agentFilter.add(agent);
    agentFilter.el.hidden = agents.size < 2 && !agentFilter.value;
    for (const card of cardsByCall.values()) showSubagents(card);
    if (agentFilter.value) for (const block of blocks.values()) refresh(block);
  };

  const refilter = () => {
    for (const block of blocks.values()) refresh(block);
    follower.stick();
  };

  let interrupted = ctx.store.header?.status === "interrupted";
  const unsubscribe = ctx.store.subscribe((change) => {
    const wasInterrupted = interrupted;
    interrupted = ctx.store.header?.status === "interrupted";
    // a change without messages (graph activity, rows, counts) leaves the panel alone: following
    // the end reads the scroll height, which would force a layout of what other panels changed
    if (
      !change.reset &&
      !touchesMessages(change) &&
      !change.tree &&
      !change.started.length &&
      interrupted === wasInterrupted
    )
      return;
    if (change.reset) rebuild();
    else {
      if (interrupted !== wasInterrupted)
        // calls without a result wait on the interrupt, or go on with the next run
        for (const block of blocks.values()) for (const card of block.cards.values()) updateCard(card);
      // pieces first, to what was shown before this change; what it adds is built whole below
      for (const [id, piece] of change.appended) {
        const block = blocks.get(id);
        if (block) {
          appendPiece(block.text, piece);
          block.text.el.hidden = false;
        } else {
          const card = answered.get(id);
          if (card) appendPiece(card.result, piece);
        }
      }
      for (const [id, piece] of change.reasoning) {
        const block = blocks.get(id);
        if (!block) continue;
        appendPiece(block.reasoning, piece);
        block.reasoningEl.hidden = false;
      }
      for (const [id, pieces] of change.toolArgs) {
        const block = blocks.get(id);
        if (!block) continue;
        for (const [index, piece] of pieces) {
          const card = block.cards.get(index);
          if (!card) continue; // a new call: its card is built from the whole text below
          const call = callOf(card);
          if (card.pretty && call) showPretty(card, call);
          else appendPiece(card.args, piece);
        }
      }
      for (const id of change.newMessages) {
        const m = ctx.store.messages.get(id);
        if (m && !blocks.has(id) && !answered.has(id)) place(m);
      }
      for (const id of change.updated) {
        const m = ctx.store.messages.get(id);
        if (m) update(m);
      }
      for (const id of change.started) {
        const card = cardsByCall.get(id);
        if (card) updateCard(card);
      }
      if (change.tree) agentsChanged();
    }
    follower.stick();
  });
  for (const filter of [agentFilter, nodeFilter, namespaceFilter, tagFilter])
    filter.el.addEventListener("change", refilter);
  ctx.selection.subscribe(refilter);
  rebuild();
  return {
    el,
    shown: follower.stick,
    hidden() {},
    dispose() {
      follower.dispose();
      unsubscribe();
    },
  };
}
