// Collapsible JSON, built from text nodes and <details> elements only.
import { h } from "./dom";

const MAX_CHILDREN = 500;

/** `open` levels start expanded; deeper ones are one click away. */
export function jsonView(value: unknown, label?: string, open = 1, depth = 0): HTMLElement {
  if (value !== null && typeof value === "object") {
    const entries = Array.isArray(value)
      ? value.map((v, i) => [String(i), v] as const)
      : Object.entries(value as Record<string, unknown>);
    const brackets = Array.isArray(value) ? ["[", "]"] : ["{", "}"];
    const summary = h(
      "summary",
      {},
      label !== undefined ? h("span", { class: "lgw-json-key" }, `${label}: `) : null,
      `${brackets[0]} ${entries.length} ${Array.isArray(value) ? "items" : "keys"} ${brackets[1]}`,
    );
    const details = h("details", { class: "lgw-json" }, summary);
    if (depth < open) details.open = true;
    for (const [key, child] of entries.slice(0, MAX_CHILDREN)) {
      details.appendChild(jsonView(child, key, open, depth + 1));
    }
    if (entries.length > MAX_CHILDREN) {
      details.appendChild(h("div", { class: "lgw-muted" }, `… ${entries.length - MAX_CHILDREN} more`));
    }
    return details;
  }
  return h(
    "div",
    { class: "lgw-json-leaf" },
    label !== undefined ? h("span", { class: "lgw-json-key" }, `${label}: `) : null,
    h(
      "span",
      { class: `lgw-json-${value === null ? "null" : typeof value}` },
      JSON.stringify(value) ?? "undefined",
    ),
  );
}
