// What every panel shares: the store, the kernel link, and the namespace selected in the tree.
import type { RunStore } from "./store";

export interface Kernel {
  send(message: Record<string, unknown>): void;
  request<T = Record<string, unknown>>(message: Record<string, unknown>): Promise<T>;
}

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

  /** True when `ns` is the selected namespace or inside it. */
  includes(ns: string): boolean {
    const selected = this.namespace;
    return selected === null || ns === selected || (selected !== "" && ns.startsWith(`${selected}|`));
  }
}

export interface Context {
  store: RunStore;
  kernel: Kernel;
  selection: Selection;
}
