// What every panel shares: the store, the kernel link, and the one selection (a namespace
// clicked in the tree, or a node clicked in the graph) that filters tokens and timeline.
import type { Kernel } from "./kernel";
import type { RunStore } from "./store";

/** A node's id in the graph drawn with xray, as Python's `events.graph_path`: namespace
 * `node_2:<task id>` and node `subgraph_node_1` give `node_2:subgraph_node_1`. */
export function graphPath(namespace: string, node?: string | null): string {
  const names = namespace ? namespace.split("|").map((segment) => segment.split(":")[0]) : [];
  if (node) names.push(node);
  return names.join(":");
}

export class Selection {
  namespace: string | null = null;
  /** A graph node or subgraph box, by graph path (set from the graph panel). */
  node: string | null = null;
  private listeners: Array<() => void> = [];

  set(namespace: string | null): void {
    this.namespace = namespace;
    this.node = null;
    this.notify();
  }

  setNode(path: string | null): void {
    this.node = path;
    this.namespace = null;
    this.notify();
  }

  /** Something is selected (a "show all" button clears it). */
  get active(): boolean {
    return this.namespace !== null || this.node !== null;
  }

  subscribe(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** True when what came from `namespace` (and `node`, when known) is in the selection: the
   * selected namespace or inside it; the selected graph node, or inside the selected box. */
  includes(namespace: string, node?: string | null): boolean {
    if (this.node !== null) {
      const path = graphPath(namespace, node);
      return path === this.node || path.startsWith(`${this.node}:`);
    }
    const selected = this.namespace;
    return (
      selected === null || namespace === selected || (selected !== "" && namespace.startsWith(`${selected}|`))
    );
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }
}

export interface Context {
  store: RunStore;
  kernel: Kernel;
  selection: Selection;
  /** A saved copy (`run.to_html()`): no kernel behind the view, nothing to cancel. */
  readOnly?: boolean;
  /** Why a Cancel click cannot act now, or "" (Python: `RunView.cancel_note`; in marimo, a cell
   * awaiting the run holds the click until the run has ended). */
  cancelNote?: () => string;
}
