// The assistant's graph, laid out once and lit as the run goes: running nodes, how often and
// how long each ran, failed and waiting nodes, parallel tasks. Activity only toggles classes
// and sets text on what was drawn, once per animation frame, and never reads layout; only a
// different graph is laid out again. Clicking a node (or a subgraph box) selects it in the same
// selection as the namespace tree, which filters tokens and timeline. Server text goes in
// through textContent and attributes only.
import type { Context } from "./context";
import { graphPath } from "./context";
import { h } from "./dom";
import { edgePath, type Layout, LINE_HEIGHT, layoutGraph } from "./layout";
import type { Panel } from "./panel";
import type { GraphInfo, NodeActivity } from "./types";

const SVG = "http://www.w3.org/2000/svg";
let instances = 0; // marker ids are document-wide: one per panel

function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number> = {},
  ...children: Array<Node | string>
): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, String(value));
  for (const child of children)
    el.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
  return el;
}

export function formatDuration(seconds: number): string {
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${Math.round(seconds - minutes * 60)} s`;
}

/** The line under a node's name: "×2 · 1.3 s", "3 running", "×4 · 0.8 s · 4 parallel · failed". */
export function activityText(a: NodeActivity | undefined): string {
  if (!a || (!a.visits && !a.running && !a.status)) return "";
  const parts: string[] = [];
  if (a.running > 1) parts.push(`${a.running} running`);
  else if (a.visits) parts.push(`×${a.visits}`);
  if (a.seconds > 0) parts.push(formatDuration(a.seconds));
  if (a.parallel > 1 && a.running <= 1) parts.push(`${a.parallel} parallel`);
  if (a.status === "error") parts.push("failed");
  else if (a.status === "interrupted") parts.push("waiting");
  else if (a.status === "cancelled") parts.push("cancelled");
  return parts.join(" · ");
}

interface Drawn {
  g: SVGGElement;
  stats: SVGTextElement | SVGTSpanElement;
  line: SVGTextElement; // the line the stats are on, squeezed to `room` when too long
  room: number;
  prefix: string; // a box's stats follow its name
}

const STATS_CHAR = 5.8; // average width of a 10px character
const LABEL_CHAR = 6.4; // of an 11px one

/** Squeeze a line into `room` px when its text would overflow (no layout is measured). */
function squeeze(line: SVGTextElement, room: number, width: number): void {
  if (width > room) {
    line.setAttribute("textLength", String(room));
    line.setAttribute("lengthAdjust", "spacingAndGlyphs");
  } else line.removeAttribute("textLength");
}

/** `live`: whether a graph may still come (the run streams, or a GraphView is fetching). */
export function graphPanel(ctx: Context, live: () => boolean = () => !!ctx.store.header?.live): Panel {
  const marker = `lgw-arrow-${++instances}`;
  const status = h("span", { class: "lgw-muted", testid: "graph-status" });
  const clear = h("button", { class: "lgw-link", type: "button", hidden: true }, "show all");
  const fit = h(
    "button",
    { class: "lgw-link", type: "button", testid: "graph-fit", hidden: true },
    "actual size",
  );
  const note = h("div", { class: "lgw-graph-note", testid: "graph-note", hidden: true });
  const canvas = h("div", { class: "lgw-graph-canvas", testid: "graph" });
  const el = h(
    "div",
    { class: "lgw-panel lgw-graph" },
    h("div", { class: "lgw-toolbar" }, status, h("span", { class: "lgw-spacer" }), clear, fit),
    note,
    canvas,
  );
  clear.addEventListener("click", () => ctx.selection.setNode(null));

  const nodes = new Map<string, Drawn>();
  const groups = new Map<string, Drawn & { members: string[] }>();
  const enclosing = new Map<string, string[]>(); // id -> the boxes around it
  let drawnKey = ""; // the graph on screen, so a repeated one (a snapshot) is not laid out again
  let visible = false;
  let root: SVGSVGElement | null = null;
  // the whole graph in the panel (shrunk, never grown) until the user asks for its actual size:
  // a graph taller than the panel showed its top and hid its last row (the end node)
  let fitted = true;
  let natural = { width: 0, height: 0 };
  let selected: Element | null = null;

  const showNote = (text: string | null) => {
    note.hidden = !text;
    note.textContent = text ?? "";
  };

  const render = () => {
    const graph = ctx.store.graph;
    if (!graph) {
      clearDrawing();
      status.textContent = live() ? "Fetching the graph…" : "No graph for this run.";
      showNote(null);
      return;
    }
    const key = JSON.stringify(graph);
    if (key === drawnKey || !visible) return; // a new graph waits until the panel is seen
    drawnKey = key;
    draw(graph);
  };

  const clearDrawing = () => {
    canvas.replaceChildren();
    nodes.clear();
    groups.clear();
    enclosing.clear();
    root = null;
    selected = null;
    drawnKey = "";
    fit.hidden = true;
  };

  const draw = (graph: GraphInfo) => {
    clearDrawing();
    drawnKey = JSON.stringify(graph);
    status.textContent = `${graph.nodes.length} nodes, ${graph.edges.length} edges`;
    if (!graph.nodes.length) {
      status.textContent = "";
      showNote(graph.note ?? "The graph has no nodes.");
      return;
    }
    const started = performance.now();
    let layout: Layout;
    try {
      layout = layoutGraph(graph);
    } catch (err) {
      showNote(`Could not lay out the graph: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    el.dataset.layoutMs = (performance.now() - started).toFixed(1); // read by bench/
    showNote([graph.note, layout.note].filter(Boolean).join(" ") || null);
    root = build(layout, graph);
    canvas.appendChild(root);
    fit.hidden = false;
    applyFit();
    for (const id of [...nodes.keys(), ...groups.keys()]) apply(id);
    for (const id of groups.keys()) refreshBox(id);
    markSelected();
  };

  const build = (layout: Layout, graph: GraphInfo): SVGSVGElement => {
    const width = Math.ceil(layout.width);
    const height = Math.ceil(layout.height);
    natural = { width, height };
    const out = svg("svg", {
      class: "lgw-graph-svg",
      width,
      height,
      viewBox: `0 0 ${width} ${height}`,
      role: "img",
    });
    out.appendChild(svg("title", {}, `Graph of ${graph.assistant_id ?? "the assistant"}`));
    out.appendChild(
      svg(
        "defs",
        {},
        svg(
          "marker",
          {
            id: marker,
            viewBox: "0 0 10 10",
            refX: 9,
            refY: 5,
            markerWidth: 7,
            markerHeight: 7,
            orient: "auto",
          },
          svg("path", { d: "M0,0 L10,5 L0,10 z", class: "lgw-garrow" }),
        ),
      ),
    );
    for (const box of layout.groups) {
      const id = box.group.id;
      const stats = svg("tspan", { class: "lgw-gstats" });
      const line = svg("text", { class: "lgw-glabel", x: box.x + 8, y: box.y + 13 }, box.label, stats);
      const g = svg(
        "g",
        { class: "lgw-ggroup", tabindex: 0 },
        svg("title", {}, `subgraph ${id}`),
        svg("rect", { x: box.x, y: box.y, width: box.width, height: box.height, rx: 8 }),
        line,
      );
      g.dataset.id = id;
      g.dataset.testid = "graph-group";
      clickable(g, id);
      groups.set(id, { g, stats, line, room: box.width - 14, prefix: box.label, members: [] });
      out.appendChild(g);
    }
    for (const placed of layout.edges) {
      const path = svg("path", {
        class: placed.edge.conditional ? "lgw-gedge lgw-gedge-cond" : "lgw-gedge",
        d: edgePath(placed.points),
        "marker-end": `url(#${marker})`,
      });
      path.dataset.source = placed.edge.source;
      path.dataset.target = placed.edge.target;
      out.appendChild(path);
      if (placed.label)
        out.appendChild(
          svg(
            "text",
            { class: "lgw-gedge-label", x: placed.label.x, y: placed.label.y + 4, "text-anchor": "middle" },
            placed.label.text,
          ),
        );
    }
    for (const box of layout.nodes) {
      const node = box.node;
      const cx = box.x + box.width / 2;
      const small = node.kind !== "node";
      const stats = svg("text", { class: "lgw-gstats", x: cx, y: box.y + 30, "text-anchor": "middle" });
      const g = svg(
        "g",
        { class: `lgw-gnode lgw-gnode-${node.kind}`, tabindex: 0 },
        svg("title", {}, [node.id, ...node.tools.map((t) => `tool: ${t}`)].join("\n")),
        svg("rect", {
          x: box.x,
          y: box.y,
          width: box.width,
          height: box.height,
          rx: small ? box.height / 2 : 5,
        }),
        svg(
          "text",
          {
            class: "lgw-gname",
            x: cx,
            y: small ? box.y + box.height / 2 + 4 : box.y + 15,
            "text-anchor": "middle",
          },
          box.label,
        ),
      );
      if (!small) g.appendChild(stats);
      box.tools.forEach((tool, i) =>
        g.appendChild(
          svg(
            "text",
            { class: "lgw-gtool", x: cx, y: box.y + 48 + i * LINE_HEIGHT, "text-anchor": "middle" },
            tool,
          ),
        ),
      );
      g.dataset.id = node.id;
      g.dataset.testid = "graph-node";
      clickable(g, node.id);
      nodes.set(node.id, { g, stats, line: stats, room: box.width - 8, prefix: "" });
      out.appendChild(g);
    }
    for (const id of [...nodes.keys(), ...groups.keys()]) {
      const around: string[] = [];
      for (let at = id.lastIndexOf(":"); at > 0; at = id.lastIndexOf(":", at - 1)) {
        const box = id.slice(0, at);
        const found = groups.get(box);
        if (found) {
          around.push(box);
          found.members.push(id);
        }
      }
      enclosing.set(id, around);
    }
    return out;
  };

  const clickable = (g: SVGGElement, id: string) => {
    const toggle = (event: Event) => {
      event.stopPropagation(); // a node's click is not also its box's
      ctx.selection.setNode(ctx.selection.node === id ? null : id);
    };
    g.addEventListener("click", toggle);
    g.addEventListener("keydown", (event) => {
      if ((event as KeyboardEvent).key === "Enter") toggle(event);
    });
  };

  const apply = (id: string) => {
    const drawn = nodes.get(id) ?? groups.get(id);
    if (!drawn) return;
    const a = ctx.store.activity.get(id);
    const status = a?.status ?? "";
    if (drawn.g.dataset.status !== status) drawn.g.dataset.status = status;
    drawn.g.classList.toggle("lgw-g-running", a?.status === "running");
    drawn.g.classList.toggle("lgw-g-latest", !!a?.latest);
    drawn.g.classList.toggle("lgw-g-visited", !!a && a.visits > 0);
    const text = activityText(a);
    const shown = drawn.prefix && text ? ` · ${text}` : text;
    if (drawn.stats.textContent === shown) return;
    drawn.stats.textContent = shown;
    const width = drawn.prefix
      ? drawn.prefix.length * LABEL_CHAR + shown.length * STATS_CHAR
      : shown.length * STATS_CHAR;
    squeeze(drawn.line, drawn.room, width);
  };

  /** A box is lit while anything inside it runs (tokens inside a subgraph, say). */
  const refreshBox = (id: string) => {
    const box = groups.get(id);
    if (box)
      box.g.classList.toggle(
        "lgw-g-inner-running",
        box.members.some((m) => ctx.store.activity.get(m)?.status === "running"),
      );
  };

  const applyChanged = (ids: string[]) => {
    const boxes = new Set<string>();
    for (const id of ids) {
      apply(id);
      for (const box of enclosing.get(id) ?? []) boxes.add(box);
    }
    for (const box of boxes) refreshBox(box);
  };

  const selectedPath = () =>
    ctx.selection.node ?? (ctx.selection.namespace ? graphPath(ctx.selection.namespace) : null);
  const markSelected = () => {
    selected?.classList.remove("lgw-g-selected");
    const path = selectedPath();
    selected = path ? (nodes.get(path)?.g ?? groups.get(path)?.g ?? null) : null;
    selected?.classList.add("lgw-g-selected");
    clear.hidden = ctx.selection.node === null;
  };

  const applyFit = () => {
    if (!root) return;
    const room = { width: canvas.clientWidth - 8, height: canvas.clientHeight - 8 }; // padding
    const scale =
      fitted && room.width > 0 && room.height > 0
        ? Math.min(1, room.width / natural.width, room.height / natural.height)
        : 1;
    root.setAttribute("width", String(Math.floor(natural.width * scale)));
    root.setAttribute("height", String(Math.floor(natural.height * scale)));
    fit.textContent = fitted ? "actual size" : "fit";
  };
  // the panel is resizable (and hidden until its tab is chosen): fit again when its size changes
  const resizes = typeof ResizeObserver === "undefined" ? null : new ResizeObserver(() => applyFit());
  resizes?.observe(canvas);
  fit.addEventListener("click", () => {
    fitted = !fitted;
    applyFit();
  });

  // Activity is written once per frame: deltas arriving together (a burst after a gap, several
  // in one frame) cost one pass over the nodes that changed and one style recalculation.
  const changed = new Set<string>();
  let frame = 0;
  const flush = () => {
    frame = 0;
    const ids = [...changed];
    changed.clear();
    applyChanged(ids);
  };

  const unsubscribe = ctx.store.subscribe((change) => {
    if (change.reset || change.graph || (change.header && !ctx.store.graph)) {
      render();
      if (change.reset && root) {
        for (const id of [...nodes.keys(), ...groups.keys()]) apply(id);
        for (const id of groups.keys()) refreshBox(id);
      }
    } else if (change.activity.length) {
      for (const id of change.activity) changed.add(id);
      if (!frame) frame = requestAnimationFrame(flush);
    }
  });
  ctx.selection.subscribe(markSelected);
  render();
  return {
    el,
    shown() {
      visible = true;
      render();
      applyFit();
    },
    hidden() {
      visible = false;
    },
    dispose() {
      unsubscribe();
      resizes?.disconnect();
      if (frame) cancelAnimationFrame(frame);
    },
  };
}
