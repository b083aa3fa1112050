// A filter <select>, shared by the panels that filter (tokens: node, namespace, tag; events: mode).
// Its options grow as values are first seen; "" is the "all" option.
import { h } from "./dom";

export interface Filter {
  el: HTMLSelectElement;
  /** Add an option the first time `value` is seen (`label` defaults to the value). */
  add(value: string, label?: string): void;
  /** True when nothing is selected or `value` is the selected one. */
  matches(value: string): boolean;
  /** The selected value, "" for all. */
  readonly value: string;
}

export function filterSelect(name: string, allLabel: string): Filter {
  const el = h("select", { class: "lgw-select", title: `filter by ${name}`, testid: `filter-${name}` });
  el.appendChild(h("option", { value: "" }, allLabel));
  const seen = new Set<string>();
  return {
    el,
    add(value, label = value) {
      if (seen.has(value)) return;
      seen.add(value);
      el.appendChild(h("option", { value }, label));
    },
    matches(value) {
      return !el.value || value === el.value;
    },
    get value() {
      return el.value;
    },
  };
}
