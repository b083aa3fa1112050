// anywidget entry point of RunView: wires the model (snapshot trait + custom-message deltas) to
// the store, and the store to the panels.
import type { Context } from "./context";
import { Selection } from "./context";
import { h } from "./dom";
import { eventsPanel } from "./events";
import { headerPanel } from "./header";
import { createKernel } from "./kernel";
import { RunStore } from "./store";
import { timelinePanel } from "./timeline";
import { tokensPanel } from "./tokens";
import { treePanel } from "./tree";
import type { Delta, Snapshot } from "./types";

interface AnyModel {
  get(name: "snapshot"): Snapshot;
  send(content: Record<string, unknown>): void;
  on(event: string, callback: (...args: any[]) => void): void;
  off(event: string, callback: (...args: any[]) => void): void;
}

const RESYNC_EVERY_MS = 1000;
type Tab = "tokens" | "timeline" | "events";

function render({ model, el }: { model: AnyModel; el: HTMLElement }): () => void {
  const store = new RunStore();
  const kernel = createKernel(model);
  const ctx: Context = { store, kernel, selection: new Selection() };
  let lastResync = 0;

  const header = headerPanel(ctx);
  const guarded =
    <A extends unknown[]>(what: string, fn: (...args: A) => void) =>
    (...args: A) => {
      try {
        fn(...args);
      } catch (err) {
        header.report(
          `lg_widgets front end: ${what} failed: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
    };
  const onMessage = guarded("applying an update", (msg: Record<string, unknown>) => {
    if (msg.type === "response") kernel.receive(msg);
    else if (msg.type === "delta" && store.applyDelta(msg as unknown as Delta) === "gap") {
      const now = Date.now();
      if (now - lastResync > RESYNC_EVERY_MS) {
        lastResync = now;
        model.send({ type: "resync" });
      }
    }
  });
  const onSnapshot = guarded("applying a snapshot", () => {
    store.applySnapshot(model.get("snapshot"));
  });

  const tree = treePanel(ctx);
  const panels = { tokens: tokensPanel(ctx), timeline: timelinePanel(ctx), events: eventsPanel(ctx) };
  const tabs = h("div", { class: "lgw-tabs", role: "tablist" });
  const buttons = new Map<Tab, HTMLButtonElement>();
  const show = (tab: Tab) => {
    for (const [name, panel] of Object.entries(panels) as Array<[Tab, (typeof panels)[Tab]]>) {
      panel.el.hidden = name !== tab;
      buttons.get(name)?.setAttribute("aria-selected", String(name === tab));
    }
    panels[tab].shown();
    if (tab !== "events") panels.events.hidden();
  };
  for (const tab of ["tokens", "timeline", "events"] as Tab[]) {
    const button = h("button", { class: "lgw-tab", type: "button", role: "tab", testid: `tab-${tab}` }, tab);
    button.addEventListener("click", () => show(tab));
    buttons.set(tab, button);
    tabs.appendChild(button);
  }
  const root = h(
    "div",
    { class: "lgw-root", testid: "lg-run-view" },
    header.el,
    h(
      "div",
      { class: "lgw-body" },
      tree.el,
      h("div", { class: "lgw-main" }, tabs, panels.tokens.el, panels.timeline.el, panels.events.el),
    ),
  );
  el.appendChild(root);

  model.on("msg:custom", onMessage);
  model.on("change:snapshot", onSnapshot);
  onSnapshot();
  const modes = store.header?.stream_mode ?? [];
  show(modes.some((m) => m.startsWith("messages")) || store.messages.size ? "tokens" : "timeline");

  return () => {
    model.off("msg:custom", onMessage);
    model.off("change:snapshot", onSnapshot);
    kernel.dispose();
    header.dispose();
    tree.dispose();
    for (const panel of Object.values(panels)) panel.dispose();
    root.remove();
  };
}

export default { render };
