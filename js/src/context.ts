// What every panel shares: the store, the kernel link, and the namespace selected in the tree.
import type { Kernel } from "./kernel";
import type { RunStore } from "./store";

export class Selection {
  namespace: string | null = null;
  private listeners: Array<() => void> = [];

  set(namespace: string | null): void {
    this.namespace = namespace;
    for (const listener of this.listeners) listener();
  }

  subscribe(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** True when `namespace` is the selected namespace or inside it. */
  includes(namespace: string): boolean {
    const selected = this.namespace;
    return (
      selected === null || namespace === selected || (selected !== "" && namespace.startsWith(`${selected}|`))
    );
  }
}

export interface Context {
  store: RunStore;
  kernel: Kernel;
  selection: Selection;
  /** A saved copy (`run.to_html()`): no kernel behind the view, nothing to cancel. */
  readOnly?: boolean;
}
