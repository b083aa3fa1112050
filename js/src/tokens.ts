// LLM text as it streams, one block per message, grouped by namespace and node.
// Pieces are appended to Text nodes (appendData), so streaming never re-renders a message. A
// message's text is split into block-level chunks of a few KB: appending to one ever-growing
// text node makes the browser lay out the whole message on every update (measured: 2 ms per
// update at the start of a 20k-token message, 14 ms at its end; with chunks, 0.5 ms flat).
import type { Context } from "./context";
import { h, namespaceLabel } from "./dom";
import { filterSelect } from "./filter";
import { followEnd } from "./follow";
import type { Panel } from "./panel";
import type { Message } from "./store";

interface Block {
  el: HTMLElement;
  pre: HTMLElement;
  text: Text; // the last chunk's text node
  chunkLength: number;
  message: Message;
  group: Group;
}

const CHUNK_CHARS = 4096;

/** A new block-level chunk in the message's pre; later pieces go there. */
const startChunk = (block: Block): void => {
  block.text = document.createTextNode("");
  block.pre.appendChild(h("span", { class: "lgw-chunk" }, block.text));
  block.chunkLength = 0;
};

/** Append a piece, starting a new chunk after a newline or at a word boundary once it is full. */
export const appendPiece = (block: Block, piece: string): void => {
  if (block.chunkLength >= CHUNK_CHARS) {
    const newline = piece.lastIndexOf("\n");
    if (newline >= 0) {
      block.text.appendData(piece.slice(0, newline + 1));
      startChunk(block);
      piece = piece.slice(newline + 1);
    } else if (/^\s/.test(piece) || block.chunkLength >= 4 * CHUNK_CHARS) {
      startChunk(block);
    }
  }
  block.text.appendData(piece);
  block.chunkLength += piece.length;
};

/** All messages of one (namespace, node), in order of first appearance. */
interface Group {
  el: HTMLElement;
  body: HTMLElement;
  blocks: Block[];
}

export function tokensPanel(ctx: Context): Panel {
  const nodeFilter = filterSelect("node", "all nodes");
  const namespaceFilter = filterSelect("namespace", "all namespaces");
  const tagFilter = filterSelect("tag", "all tags");
  const empty = h(
    "div",
    { class: "lgw-empty" },
    'No LLM tokens yet (stream with stream_mode including "messages-tuple").',
  );
  const list = h("div", { class: "lgw-tokens-list", testid: "tokens" });
  const scroller = h("div", { class: "lgw-scroll" }, empty, list);
  const el = h(
    "div",
    { class: "lgw-panel lgw-tokens" },
    h("div", { class: "lgw-toolbar" }, nodeFilter.el, namespaceFilter.el, tagFilter.el),
    scroller,
  );

  const blocks = new Map<string, Block>();
  const groups = new Map<string, Group>();
  const follower = followEnd(scroller);

  const visible = (m: Message) =>
    ctx.selection.includes(m.namespace, m.node) &&
    nodeFilter.matches(m.node ?? "") &&
    namespaceFilter.matches(m.namespace) &&
    (!tagFilter.value || m.tags.includes(tagFilter.value));

  const addOptions = (m: Message) => {
    nodeFilter.add(m.node ?? "", m.node ?? "(no node)");
    namespaceFilter.add(m.namespace, namespaceLabel(m.namespace));
    for (const tag of m.tags) tagFilter.add(tag);
  };

  const groupFor = (m: Message): Group => {
    const key = `${m.namespace}\u0000${m.node ?? ""}`;
    let group = groups.get(key);
    if (!group) {
      const body = h("div", { class: "lgw-group-body" });
      const head = h(
        "div",
        { class: "lgw-group-head", title: m.namespace || "root namespace" },
        h("span", { class: "lgw-ns" }, namespaceLabel(m.namespace)),
        " · ",
        h("span", { class: "lgw-node" }, m.node ?? "(no node)"),
      );
      group = { el: h("div", { class: "lgw-group", testid: "token-group" }, head, body), body, blocks: [] };
      groups.set(key, group);
      list.appendChild(group.el);
    }
    return group;
  };

  const addBlock = (m: Message, text: string): Block => {
    const group = groupFor(m);
    const pre = h("pre", { class: "lgw-msg-text" });
    const meta = h(
      "div",
      { class: "lgw-msg-meta" },
      m.tags.length ? h("span", { class: "lgw-tags" }, `#${m.tags.join(" #")} `) : null,
      h("span", { class: "lgw-muted", title: m.id }, m.id.length > 12 ? `…${m.id.slice(-8)}` : m.id),
    );
    const el = h("div", { class: "lgw-msg", testid: "message" }, meta, pre);
    el.dataset.ns = m.namespace; // read by tests/browser (DOM attribute, not a wire field)
    el.dataset.node = m.node ?? "";
    el.dataset.complete = String(m.complete);
    el.hidden = !visible(m);
    if (!el.hidden) group.el.hidden = false;
    const block: Block = { el, pre, text: document.createTextNode(""), chunkLength: 0, message: m, group };
    startChunk(block);
    if (text) appendPiece(block, text);
    group.blocks.push(block);
    group.body.appendChild(el);
    blocks.set(m.id, block);
    empty.hidden = true;
    return block;
  };

  const rebuild = () => {
    blocks.clear();
    groups.clear();
    list.replaceChildren();
    for (const m of ctx.store.messages.values()) {
      addOptions(m);
      addBlock(m, m.text);
    }
    refilter();
    empty.hidden = blocks.size > 0;
  };

  const refilter = () => {
    for (const block of blocks.values()) block.el.hidden = !visible(block.message);
    for (const group of groups.values()) group.el.hidden = group.blocks.every((b) => b.el.hidden);
    follower.stick();
  };

  const unsubscribe = ctx.store.subscribe((change) => {
    if (change.reset) rebuild();
    else {
      for (const id of change.newMessages) {
        const m = ctx.store.messages.get(id);
        if (!m || blocks.has(id)) continue;
        addOptions(m);
        addBlock(m, ""); // its text arrives in change.appended
      }
      for (const [id, piece] of change.appended) {
        const block = blocks.get(id);
        if (block) appendPiece(block, piece);
      }
      for (const id of change.completed) {
        const block = blocks.get(id);
        if (block) block.el.dataset.complete = "true";
      }
    }
    follower.stick();
  });
  for (const filter of [nodeFilter, namespaceFilter, tagFilter])
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
