// Building DOM from untrusted run data: text goes in through textContent only, never as HTML.

type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: { class?: string; title?: string; testid?: string; [attr: string]: unknown } = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") el.className = String(value);
    else if (key === "testid") el.dataset.testid = String(value);
    else if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2).toLowerCase(), value as EventListener);
    } else el.setAttribute(key, String(value));
  }
  append(el, ...children);
  return el;
}

export function append(el: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
  }
}

/** Replace an element's children (text stays text). */
export function replace(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, ...children);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An id short enough for a label. LangGraph's ids are time-ordered UUIDs (v7-like): a thread and
 * the runs started on it within seconds share their first characters, so a UUID shows its
 * random tail; other ids their head. */
export function shortId(id: string | null | undefined): string {
  if (!id) return "–";
  return UUID.test(id) ? id.slice(-8) : id.slice(0, 8);
}

export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "–";
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const m = Math.floor(seconds / 60);
  return `${m} min ${(seconds - m * 60).toFixed(0)} s`;
}

export function namespaceLabel(namespace: string): string {
  if (!namespace) return "root";
  return namespace
    .split("|")
    .map((segment) => segment.split(":")[0])
    .join(" › ");
}

/** A name short enough for a label, cut in the middle so that both its start and its end stay
 * ("HumanInTheLoopMiddleware.after_model" keeps "after_model"); the whole name goes in `title`. */
export function middle(text: string, chars: number): string {
  if (text.length <= chars) return text;
  const tail = Math.ceil((chars - 1) / 2); // the end (a hook, a suffix) says more
  return `${text.slice(0, chars - 1 - tail)}…${text.slice(text.length - tail)}`;
}

/** A token count for a label: 950, 12.3k, 4.1M. */
export function formatTokens(tokens: number): string {
  if (tokens < 1000) return String(tokens);
  if (tokens < 1_000_000) return `${(tokens / 1000).toFixed(tokens < 10_000 ? 1 : 0)}k`;
  return `${(tokens / 1_000_000).toFixed(1)}M`;
}
