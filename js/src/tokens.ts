// LLM text as it streams, one block per message, grouped by namespace and node.
// Pieces are appended to a Text node (appendData), so streaming never re-renders a message.
import type { Context } from "./context";
import { atEnd, h, namespaceLabel, onResize, replace } from "./dom";
import type { Message } from "./store";

interface Block {
  el: HTMLElement;
  text: Text;
  message: Message;
}

export function tokensPanel(ctx: Context): { el: HTMLElement; dispose(): void; shown(): void } {
  const nodeFilter = select("node", "all nodes");
  const nsFilter = select("namespace", "all namespaces");
  const tagFilter = select("tag", "all tags");
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
    h("div", { class: "lgw-toolbar" }, nodeFilter, nsFilter, tagFilter),
    scroller,
  );

  const blocks = new Map<string, Block>();
  const seen = { node: new Set<string>(), ns: new Set<string>(), tag: new Set<string>() };
  let following = true;
  scroller.addEventListener("scroll", () => {
    following = atEnd(scroller);
  });

  const visible = (m: Message) =>
    ctx.selection.includes(m.ns) &&
    (!nodeFilter.value || (m.node ?? "") === nodeFilter.value) &&
    (!nsFilter.value || m.ns === nsFilter.value) &&
    (!tagFilter.value || m.tags.includes(tagFilter.value));

  const addOptions = (m: Message) => {
    addOption(nodeFilter, seen.node, m.node ?? "", m.node ?? "(no node)");
    addOption(nsFilter, seen.ns, m.ns, namespaceLabel(m.ns));
    for (const tag of m.tags) addOption(tagFilter, seen.tag, tag, tag);
  };

  const makeBlock = (m: Message): Block => {
    const text = document.createTextNode(m.text);
    const meta = h(
      "div",
      { class: "lgw-msg-meta" },
      h("span", { class: "lgw-ns" }, namespaceLabel(m.ns)),
      " · ",
      h("span", { class: "lgw-node" }, m.node ?? "(no node)"),
      m.tags.length ? h("span", { class: "lgw-tags" }, ` #${m.tags.join(" #")}`) : null,
      h("span", { class: "lgw-muted", title: m.id }, ` ${m.id.slice(0, 12)}`),
    );
    const pre = h("pre", { class: "lgw-msg-text" }, text);
    const el = h("div", { class: "lgw-msg", testid: "message" }, meta, pre);
    el.dataset.ns = m.ns;
    el.dataset.node = m.node ?? "";
    el.dataset.complete = String(m.complete);
    el.hidden = !visible(m);
    return { el, text, message: m };
  };

  const rebuild = () => {
    blocks.clear();
    const els: HTMLElement[] = [];
    for (const m of ctx.store.messages.values()) {
      addOptions(m);
      const block = makeBlock(m);
      blocks.set(m.id, block);
      els.push(block.el);
    }
    replace(list, ...els);
    empty.hidden = blocks.size > 0;
  };

  const refilter = () => {
    for (const block of blocks.values()) block.el.hidden = !visible(block.message);
    if (following) scroller.scrollTop = scroller.scrollHeight;
  };

  const unsubscribe = ctx.store.subscribe((change) => {
    if (change.reset) rebuild();
    else {
      for (const id of change.newMessages) {
        const m = ctx.store.messages.get(id);
        if (!m || blocks.has(id)) continue;
        addOptions(m);
        const block = makeBlock(m);
        block.text.data = "";
        blocks.set(id, block);
        list.appendChild(block.el);
        empty.hidden = true;
      }
      for (const [id, piece] of change.appended) blocks.get(id)?.text.appendData(piece);
      for (const id of change.completed) {
        const block = blocks.get(id);
        if (block) block.el.dataset.complete = "true";
      }
    }
    if (following) scroller.scrollTop = scroller.scrollHeight;
  });
  for (const filter of [nodeFilter, nsFilter, tagFilter]) filter.addEventListener("change", refilter);
  ctx.selection.subscribe(refilter);
  rebuild();
  const unobserve = onResize(scroller, () => {
    if (following) scroller.scrollTop = scroller.scrollHeight;
  });
  return {
    el,
    dispose() {
      unobserve();
      unsubscribe();
    },
    shown() {
      if (following) scroller.scrollTop = scroller.scrollHeight;
    },
  };
}

function select(name: string, all: string): HTMLSelectElement {
  const el = h("select", { class: "lgw-select", title: `filter by ${name}`, testid: `filter-${name}` });
  el.appendChild(h("option", { value: "" }, all));
  return el;
}

function addOption(el: HTMLSelectElement, seen: Set<string>, value: string, label: string): void {
  if (seen.has(value)) return;
  seen.add(value);
  el.appendChild(h("option", { value }, label));
}
