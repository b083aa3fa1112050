// anywidget entry point of RunView: wires the model (snapshot trait + custom-message deltas) to
// the store, and the store to the panels. GraphView (`lg_widgets.graph()`, a graph without a
// run) shares this bundle: its model says `kind: "graph"` and only the graph panel is mounted.
import type { AnyWidget, RenderProps } from "@anywidget/types";
import type { Context } from "./context";
import { Selection } from "./context";
import { h } from "./dom";
import { eventsPanel } from "./events";
import { graphPanel } from "./graph";
import { headerPanel } from "./header";
import type { Kernel } from "./kernel";
import { createKernel } from "./kernel";
import { createLocalKernel } from "./local";
import { choicesOf, type Tab } from "./memory";
import { messagesPanel } from "./messages";
import type { Panel } from "./panel";
import { type PackedSnapshot, unpackSnapshot } from "./snapshot";
import { RunStore } from "./store";
import { timelinePanel } from "./timeline";
import { treePanel } from "./tree";
import type { Delta, EmbeddedRun, GraphInfo, Response, Snapshot } from "./types";

/** RunView's synced traits (Python: `RunView.snapshot_zlib`, empty until the first snapshot; a
 * saved file's stand-in model hands over the snapshot itself). */
interface Traits {
  snapshot_zlib: PackedSnapshot | Snapshot | null;
  /** `RunView.cancel_note`: why Cancel cannot act now, or "" (absent in a saved file). */
  cancel_note?: string;
}

/** GraphView's synced traits (Python: `GraphView.kind`, `GraphView.graph`, `{}` until fetched). */
interface GraphTraits {
  kind: "graph";
  graph: GraphInfo | Record<string, never>;
}

const RESYNC_EVERY_MS = 1000;
const TABS: Tab[] = ["messages", "timeline", "graph", "events"];

/** What the view reads of its model: a widget's, or a saved file's stand-in (renderStatic). */
type ViewModel = Pick<RenderProps<Traits>["model"], "get" | "on" | "off">;

interface MountOptions {
  kernel: Kernel & { receive?(msg: Response): boolean; dispose(): void };
  /** A saved copy: nothing to cancel, no kernel behind it. */
  readOnly?: boolean;
}

function render(props: Pick<RenderProps<Traits>, "model" | "el">): () => void {
  const kind = (props.model as unknown as { get(name: "kind"): unknown }).get("kind");
  if (kind === "graph")
    return renderGraph(props as unknown as Pick<RenderProps<GraphTraits>, "model" | "el">);
  return mount(props.model, props.el, { kernel: createKernel(props.model) });
}

function renderGraph({ model, el }: Pick<RenderProps<GraphTraits>, "model" | "el">): () => void {
  const store = new RunStore();
  const ctx: Context = { store, kernel: createKernel(model as never), selection: new Selection() };
  const fetching = () => !("nodes" in (model.get("graph") ?? {}));
  const panel = graphPanel(ctx, fetching);
  const title = h("span", { class: "lgw-title", testid: "assistant" });
  const root = h(
    "div",
    { class: "lgw-root lgw-graph-view", testid: "lg-graph-view" },
    h("div", { class: "lgw-header" }, h("div", { class: "lgw-header-line" }, title)),
    h("div", { class: "lgw-body" }, h("div", { class: "lgw-main" }, panel.el)),
  );
  const onGraph = () => {
    const graph = model.get("graph");
    const info = graph && "nodes" in graph ? (graph as GraphInfo) : null;
    title.textContent = `graph of ${info?.assistant_id ?? "…"}`;
    store.setGraph(info);
  };
  el.appendChild(root);
  model.on("change:graph", onGraph);
  panel.shown();
  onGraph();
  return () => {
    model.off("change:graph", onGraph);
    panel.dispose();
    root.remove();
  };
}

/** The same view over a run embedded in a standalone page (`run.to_html()`), read-only. */
export function renderStatic(el: HTMLElement, run: EmbeddedRun): () => void {
  if (run?.format !== "lg_widgets.html/1") throw new Error("not a run saved by lg_widgets");
  const model = { get: () => run.snapshot, on() {}, off() {} } as unknown as ViewModel;
  return mount(model, el, { kernel: createLocalKernel(run), readOnly: true });
}

function mount(model: ViewModel, el: HTMLElement, options: MountOptions): () => void {
  const store = new RunStore();
  const kernel = options.kernel;
  const ctx: Context = {
    store,
    kernel,
    selection: new Selection(),
    readOnly: options.readOnly,
    cancelNote: () => model.get("cancel_note") ?? "",
  };
  let lastResync = 0;

  const header = headerPanel(ctx);
  const report = (what: string, err: unknown) =>
    header.report(
      `lg_widgets front end: ${what} failed: ${err instanceof Error ? err.message : String(err)}`,
    );
  const guarded =
    <A extends unknown[]>(what: string, fn: (...args: A) => void) =>
    (...args: A) => {
      try {
        fn(...args);
      } catch (err) {
        report(what, err);
      }
    };
  const onMessage = guarded("applying an update", (msg: Delta | Response) => {
    if (msg.type === "response") kernel.receive?.(msg);
    else if (msg.type === "delta" && store.applyDelta(msg) === "gap") {
      const now = Date.now();
      if (now - lastResync > RESYNC_EVERY_MS) {
        lastResync = now;
        kernel.request({ type: "resync" }).catch((err: unknown) => report("asking for a resync", err));
      }
    }
  });
  const onSnapshot = guarded("applying a snapshot", () => {
    store.applySnapshot(unpackSnapshot(model.get("snapshot_zlib")));
  });

  const tree = treePanel(ctx);
  const panels: Record<Tab, Panel> = {
    messages: messagesPanel(ctx),
    timeline: timelinePanel(ctx),
    graph: graphPanel(ctx),
    events: eventsPanel(ctx),
  };
  const tabs = h("div", { class: "lgw-tabs", role: "tablist" });
  const buttons = new Map<Tab, HTMLButtonElement>();
  const show = (tab: Tab) => {
    memory.tab = tab;
    for (const name of TABS) {
      panels[name].el.hidden = name !== tab;
      buttons.get(name)?.setAttribute("aria-selected", String(name === tab));
    }
    for (const name of TABS) if (name !== tab) panels[name].hidden();
    panels[tab].shown();
  };
  for (const tab of TABS) {
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
      h("div", { class: "lgw-main" }, tabs, ...TABS.map((tab) => panels[tab].el)),
    ),
  );
  el.appendChild(root);

  model.on("msg:custom", onMessage);
  model.on("change:snapshot_zlib", onSnapshot);
  onSnapshot();
  header.shown();
  tree.shown();
  const modes = store.header?.stream_mode ?? [];
  const memory = choicesOf(store.header);
  if (memory.namespace !== undefined) ctx.selection.set(memory.namespace);
  ctx.selection.subscribe(() => {
    memory.namespace = ctx.selection.namespace;
  });
  show(
    memory.tab ??
      (modes.some((m) => m.startsWith("messages")) || store.messages.size ? "messages" : "timeline"),
  );

  return () => {
    model.off("msg:custom", onMessage);
    model.off("change:snapshot_zlib", onSnapshot);
    kernel.dispose();
    for (const panel of [header, tree, ...Object.values(panels)]) panel.dispose();
    root.remove();
  };
}

export default { render } satisfies AnyWidget<Traits>;
