// The subgraph namespace tree; clicking a namespace filters tokens and timeline to it.
import type { Context } from "./context";
import { formatSeconds, h, replace } from "./dom";
import type { Panel } from "./panel";
import type { TreeNode } from "./types";

export function treePanel(ctx: Context): Panel {
  const body = h("div", { class: "lgw-tree-body", testid: "tree" });
  const clear = h("button", { class: "lgw-link", type: "button", hidden: true }, "show all");
  clear.addEventListener("click", () => ctx.selection.set(null));
  const el = h(
    "div",
    { class: "lgw-tree" },
    h("div", { class: "lgw-toolbar" }, h("span", { class: "lgw-subtitle" }, "Namespaces"), clear),
    body,
  );

  const nodeEl = (node: TreeNode, depth: number): HTMLElement => {
    const nodes = Object.entries(node.nodes);
    const label = h(
      "button",
      {
        class: `lgw-tree-label${ctx.selection.namespace === node.namespace ? " lgw-selected" : ""}`,
        type: "button",
        title: node.namespace || "root namespace",
        testid: "tree-namespace",
      },
      h("span", { class: "lgw-dot", "data-status": node.status }),
      h("span", { class: "lgw-tree-name" }, node.name),
      h(
        "span",
        { class: "lgw-muted" },
        ` ${node.status} · ${node.events} ev · ${formatSeconds(node.last_time - node.first_time)}`,
      ),
    );
    label.dataset.namespace = node.namespace;
    label.addEventListener("click", () =>
      ctx.selection.set(ctx.selection.namespace === node.namespace ? null : node.namespace),
    );
    const nodeList = h(
      "div",
      { class: "lgw-tree-nodes" },
      ...nodes.map(([name, count]) =>
        h(
          "span",
          { class: "lgw-chip", testid: "tree-node", title: `${count} updates` },
          count > 1 ? `${name} ×${count}` : name,
        ),
      ),
    );
    const wrap = h("div", { class: "lgw-tree-item", style: `padding-left:${depth * 12}px` }, label, nodeList);
    return h("div", {}, wrap, ...node.children.map((child) => nodeEl(child, depth + 1)));
  };

  const render = () => {
    const tree = ctx.store.tree;
    clear.hidden = !ctx.selection.active;
    replace(body, tree ? nodeEl(tree, 0) : h("div", { class: "lgw-empty" }, "No events yet."));
  };
  const unsubscribe = ctx.store.subscribe((change) => {
    if (change.tree || change.reset) render();
  });
  ctx.selection.subscribe(render);
  render();
  return { el, shown() {}, hidden() {}, dispose: unsubscribe };
}
