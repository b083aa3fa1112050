// The graph panel: laid out once per graph, lit by activity deltas (classes and text only),
// text-only for server strings, one selection with the namespace tree, one line for bad input.
import dagre from "@dagrejs/dagre";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { graphPath, Selection } from "../src/context";
import { activityText } from "../src/graph";
import widget from "../src/index";
import { layoutGraph } from "../src/layout";
import type { GraphInfo, NodeActivity, TimelineRow } from "../src/types";
import { FakeModel, delta, header, message, snapshot, tick } from "./fixtures";

vi.mock("@dagrejs/dagre", async (importOriginal) => {
  const real = (await importOriginal()) as { default: typeof import("@dagrejs/dagre").default };
  const layout = vi.fn(real.default.layout);
  return { default: { ...real.default, layout } };
});
const layoutCalls = () => (dagre.layout as unknown as ReturnType<typeof vi.fn>).mock.calls.length;

const EVIL = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';

// the `subgraph` demo as the kernel sends it (xray): node_2's nodes in the node_2 box
const SUBGRAPH: GraphInfo = {
  assistant_id: "subgraph",
  nodes: [
    { id: "__start__", name: "__start__", parent: null, kind: "start", tools: [] },
    { id: "node_1", name: "node_1", parent: null, kind: "node", tools: [] },
    { id: "__end__", name: "__end__", parent: null, kind: "end", tools: [] },
    { id: "node_2:subgraph_node_1", name: "subgraph_node_1", parent: "node_2", kind: "node", tools: [] },
    { id: "node_2:subgraph_node_2", name: "subgraph_node_2", parent: "node_2", kind: "node", tools: [] },
  ],
  groups: [{ id: "node_2", name: "node_2", parent: null }],
  edges: [
    { source: "__start__", target: "node_1", conditional: false, label: null },
    { source: "node_1", target: "node_2:subgraph_node_1", conditional: false, label: null },
    { source: "node_2:subgraph_node_1", target: "node_2:subgraph_node_2", conditional: false, label: null },
    { source: "node_2:subgraph_node_2", target: "__end__", conditional: true, label: null },
  ],
  note: null,
};

const act = (id: string, over: Partial<NodeActivity> = {}): NodeActivity => ({
  id,
  status: "success",
  visits: 1,
  seconds: 0.12,
  running: 0,
  parallel: 1,
  latest: false,
  ...over,
});

const row = (i: number, namespace: string, node: string): TimelineRow => ({
  index: i,
  seq: i,
  time: 1000 + i,
  mode: "updates",
  namespace,
  node,
  step: i,
  changed: ["foo"],
  preview: "",
  checkpoint_id: null,
});

let el: HTMLElement;
let dispose: () => void;
const mount = (model: FakeModel) => {
  dispose = widget.render({ model: model as never, el });
};
const nodeEl = (id: string) =>
  [...el.querySelectorAll('[data-testid="graph-node"], [data-testid="graph-group"]')].find(
    (g) => (g as SVGGElement).dataset.id === id,
  ) as SVGGElement | undefined;
const frame = () => new Promise(requestAnimationFrame);
const showGraphTab = () => (el.querySelector('[data-testid="tab-graph"]') as HTMLElement).click();

beforeEach(() => {
  el = document.createElement("div");
  document.body.appendChild(el);
  (window as unknown as { __pwned?: number }).__pwned = undefined;
  (dagre.layout as unknown as ReturnType<typeof vi.fn>).mockClear();
});
afterEach(() => {
  dispose?.();
  el.remove();
});

describe("graph panel", () => {
  it("draws the subgraph demo with node_2's nodes nested in its box", () => {
    mount(new FakeModel(snapshot({ graph: SUBGRAPH })));
    showGraphTab();
    const box = nodeEl("node_2")?.querySelector("rect");
    expect(box).toBeTruthy();
    const r = (e: Element | null | undefined, a: string) => Number(e?.getAttribute(a));
    for (const id of ["node_2:subgraph_node_1", "node_2:subgraph_node_2"]) {
      const rect = nodeEl(id)?.querySelector("rect");
      expect(nodeEl(id)?.textContent).toContain(id.split(":")[1]);
      expect(r(rect, "x")).toBeGreaterThanOrEqual(r(box, "x"));
      expect(r(rect, "y")).toBeGreaterThanOrEqual(r(box, "y"));
      expect(r(rect, "x") + r(rect, "width")).toBeLessThanOrEqual(r(box, "x") + r(box, "width"));
      expect(r(rect, "y") + r(rect, "height")).toBeLessThanOrEqual(r(box, "y") + r(box, "height"));
    }
    const node1 = nodeEl("node_1")?.querySelector("rect");
    expect(r(node1, "y") + r(node1, "height")).toBeLessThanOrEqual(r(box, "y")); // top to bottom
    expect(r(nodeEl("__start__")?.querySelector("rect"), "height")).toBeLessThan(r(node1, "height"));
    expect(el.querySelectorAll(".lgw-gedge")).toHaveLength(4);
    expect(el.querySelectorAll(".lgw-gedge-cond")).toHaveLength(1);
  });

  it("lays out once per graph: activity and repeated snapshots only toggle classes and text", async () => {
    const model = new FakeModel(snapshot({ graph: SUBGRAPH }));
    mount(model);
    expect(layoutCalls()).toBe(0); // not before the tab is seen
    showGraphTab();
    expect(layoutCalls()).toBe(1);
    const svgBefore = el.querySelector("svg.lgw-graph-svg");
    model.custom(
      delta(1, { graph_activity: [act("node_1", { status: "running", running: 1, visits: 1, seconds: 0 })] }),
    );
    expect(nodeEl("node_1")?.classList.contains("lgw-g-running")).toBe(false); // at the next frame
    await frame();
    expect(nodeEl("node_1")?.classList.contains("lgw-g-running")).toBe(true);
    expect(nodeEl("node_1")?.dataset.status).toBe("running");
    model.custom(
      delta(2, {
        graph_activity: [
          act("node_1", { latest: false }),
          act("node_2:subgraph_node_1", { status: "running", running: 1, latest: true, seconds: 0 }),
        ],
      }),
    );
    await frame();
    expect(nodeEl("node_1")?.classList.contains("lgw-g-running")).toBe(false);
    expect(nodeEl("node_1")?.classList.contains("lgw-g-visited")).toBe(true);
    expect(nodeEl("node_1")?.querySelector(".lgw-gstats")?.textContent).toBe("×1 · 120 ms");
    expect(nodeEl("node_2")?.classList.contains("lgw-g-inner-running")).toBe(true); // its box
    model.custom(delta(3, { graph_activity: [act("node_2:subgraph_node_1", { latest: true })] }));
    await frame();
    expect(nodeEl("node_2")?.classList.contains("lgw-g-inner-running")).toBe(false);
    expect(nodeEl("node_2:subgraph_node_1")?.classList.contains("lgw-g-latest")).toBe(true);
    model.setSnapshot(
      snapshot({ seq: 3, graph: structuredClone(SUBGRAPH), graph_activity: [act("node_1")] }),
    );
    expect(layoutCalls()).toBe(1);
    expect(el.querySelector("svg.lgw-graph-svg")).toBe(svgBefore); // the same drawing
    const other = { ...SUBGRAPH, nodes: SUBGRAPH.nodes.slice(0, 3), groups: [], edges: [] };
    model.custom(delta(4, { graph: other }));
    expect(layoutCalls()).toBe(2);
    expect(nodeEl("node_2")).toBeUndefined();
  });

  it("says failed, waiting, parallel and running counts in words", () => {
    expect(activityText(act("a", { status: "error" }))).toBe("×1 · 120 ms · failed");
    expect(activityText(act("a", { status: "interrupted", seconds: 0 }))).toBe("×1 · waiting");
    expect(
      activityText(act("a", { status: "running", running: 4, visits: 4, parallel: 4, seconds: 0 })),
    ).toBe("4 running");
    expect(activityText(act("a", { visits: 4, parallel: 4, seconds: 2.5 }))).toBe("×4 · 2.5 s · 4 parallel");
    expect(activityText(undefined)).toBe("");
  });

  it("squeezes an activity line that would overflow its node, and only then", async () => {
    const model = new FakeModel(snapshot({ graph: SUBGRAPH }));
    mount(model);
    showGraphTab();
    const stats = () => nodeEl("node_1")?.querySelector(".lgw-gstats");
    model.custom(delta(1, { graph_activity: [act("node_1")] }));
    await frame();
    expect(stats()?.textContent).toBe("×1 · 120 ms");
    expect(stats()?.hasAttribute("textLength")).toBe(false);
    model.custom(
      delta(2, {
        graph_activity: [act("node_1", { visits: 12, seconds: 12.3, parallel: 12, status: "error" })],
      }),
    );
    await frame();
    expect(stats()?.textContent).toBe("×12 · 12.3 s · 12 parallel · failed");
    expect(Number(stats()?.getAttribute("textLength"))).toBeLessThan(130);
    const label = nodeEl("node_2")?.querySelector(".lgw-glabel");
    model.custom(delta(3, { graph_activity: [act("node_2", { visits: 2 })] }));
    await frame();
    expect(label?.textContent).toBe("node_2 · ×2 · 120 ms"); // a box's stats follow its name
  });

  it("puts server text in as text only", async () => {
    const evil: GraphInfo = {
      assistant_id: EVIL,
      nodes: [
        { id: EVIL, name: EVIL, parent: null, kind: "node", tools: [EVIL, "b", "c", "d", "e", "f", "g"] },
        { id: `${EVIL}:x`, name: "x", parent: EVIL, kind: "node", tools: [] },
      ],
      groups: [{ id: EVIL, name: EVIL, parent: null }],
      edges: [{ source: EVIL, target: `${EVIL}:x`, conditional: true, label: EVIL }],
      note: EVIL,
    };
    mount(new FakeModel(snapshot({ graph: evil, graph_activity: [act(EVIL, { status: "error" })] })));
    showGraphTab();
    await tick();
    expect(el.querySelector("img")).toBeNull();
    expect(el.querySelector("script")).toBeNull();
    expect(el.querySelector('[data-testid="graph-note"]')?.textContent).toBe(EVIL);
    expect(el.querySelector(".lgw-graph-svg title")?.textContent).toBe(`Graph of ${EVIL}`);
    expect(el.querySelector(".lgw-gedge-label")?.textContent).toContain("<img");
    expect([...el.querySelectorAll(".lgw-gtool")].map((t) => t.textContent)).toEqual([
      `${EVIL.slice(0, 14)}…${EVIL.slice(-15)}`, // cut in the middle: both ends stay
      "b",
      "c",
      "d",
      "+3 more",
    ]);
    expect((window as unknown as { __pwned?: number }).__pwned).toBeUndefined();
  });

  it("filters the timeline to a clicked node, through the tree's selection", async () => {
    const rows = [
      row(0, "", "node_1"),
      row(1, "node_2:71d2d97a", "subgraph_node_1"),
      row(2, "node_2:71d2d97a", "subgraph_node_2"),
      row(3, "", "node_2"),
    ];
    mount(new FakeModel(snapshot({ graph: SUBGRAPH, rows, header: header({ stream_mode: ["updates"] }) })));
    showGraphTab();
    nodeEl("node_2:subgraph_node_1")?.dispatchEvent(new MouseEvent("click", { bubbles: true }));
    expect(nodeEl("node_2:subgraph_node_1")?.classList.contains("lgw-g-selected")).toBe(true);
    (el.querySelector('[data-testid="tab-timeline"]') as HTMLElement).click();
    await tick();
    const shown = () =>
      [...el.querySelectorAll('[data-testid="timeline-row"]')].map((r) => (r as HTMLElement).dataset.index);
    expect(shown()).toEqual(["1"]);
    expect(el.querySelector('[data-testid="timeline-count"]')?.textContent).toBe("1 rows of 4");
    showGraphTab();
    nodeEl("node_2")?.dispatchEvent(new MouseEvent("click", { bubbles: true })); // the box
    (el.querySelector('[data-testid="tab-timeline"]') as HTMLElement).click();
    await tick();
    expect(shown()).toEqual(["1", "2", "3"]);
    // the tree's "show all" clears the graph's selection: one selection for both
    (el.querySelector(".lgw-tree .lgw-link") as HTMLElement).click();
    await tick();
    expect(shown()).toEqual(["0", "1", "2", "3"]);
    expect(el.querySelector(".lgw-g-selected")).toBeNull();
  });

  it("tells in one line what it could not draw, and the rest of the view works", () => {
    const model = new FakeModel(
      snapshot({
        graph: {
          assistant_id: "agent",
          nodes: [],
          groups: [],
          edges: [],
          note: "Could not fetch the graph of 'agent': the server answered 404.",
        },
        messages: [message({ id: "m1", node: "n", complete: true, text: "still here" })],
      }),
    );
    mount(model);
    showGraphTab();
    expect(el.querySelector('[data-testid="graph-note"]')?.textContent).toBe(
      "Could not fetch the graph of 'agent': the server answered 404.",
    );
    expect(el.querySelector("svg.lgw-graph-svg")).toBeNull();
    expect(el.querySelector('[data-testid="message"] pre')?.textContent).toBe("still here");

    const fail = () => {
      throw new Error("Not possible to find intersection inside of the rectangle");
    };
    const layout = dagre.layout as unknown as ReturnType<typeof vi.fn>;
    layout.mockImplementationOnce(fail).mockImplementationOnce(fail); // the boxes, twice
    model.custom(delta(1, { graph: SUBGRAPH }));
    expect(el.querySelector('[data-testid="graph-note"]')?.textContent).toBe(
      "Subgraph boxes could not be laid out (Not possible to find intersection inside of the rectangle); drawn without them.",
    );
    expect(nodeEl("node_2:subgraph_node_1")).toBeTruthy();
    expect(nodeEl("node_2")).toBeUndefined();

    layout.mockImplementationOnce(fail).mockImplementationOnce(fail).mockImplementationOnce(fail);
    model.custom(delta(2, { graph: { ...SUBGRAPH, assistant_id: "other" } }));
    expect(el.querySelector('[data-testid="graph-note"]')?.textContent).toBe(
      "Could not lay out the graph: Not possible to find intersection inside of the rectangle",
    );
    expect(el.querySelector("svg.lgw-graph-svg")).toBeNull();
    (el.querySelector('[data-testid="tab-messages"]') as HTMLElement).click();
    expect(el.querySelector('[data-testid="message"] pre')?.textContent).toBe("still here");
  });

  it("says whether the graph is coming", () => {
    const model = new FakeModel(snapshot());
    mount(model);
    showGraphTab();
    expect(el.querySelector('[data-testid="graph-status"]')?.textContent).toBe("Fetching the graph…");
    model.custom(delta(1, { header: header({ live: false, status: "success" }) }));
    expect(el.querySelector('[data-testid="graph-status"]')?.textContent).toBe("No graph for this run.");
  });

  it("lays a big graph out box by box, every node inside its box", () => {
    const groups = Array.from({ length: 12 }, (_, k) => ({
      id: `agent${k}`,
      name: `agent${k}`,
      parent: null,
    }));
    const nodes: GraphInfo["nodes"] = [
      { id: "router", name: "router", parent: null, kind: "node", tools: [] },
    ];
    const edges: GraphInfo["edges"] = [];
    for (const group of groups)
      for (let i = 0; i < 8; i++) {
        const id = `${group.id}:step${i}`;
        nodes.push({
          id,
          name: `step${i}`,
          parent: group.id,
          kind: "node",
          tools: i === 2 ? ["search"] : [],
        });
        edges.push({
          source: i ? `${group.id}:step${i - 1}` : "router",
          target: id,
          conditional: i === 0,
          label: null,
        });
      }
    edges.push({ source: "agent0:step7", target: "router", conditional: true, label: null }); // out of a box
    edges.push({ source: "agent11:step5", target: "agent11:step2", conditional: false, label: null }); // a loop
    const layout = layoutGraph({ assistant_id: "big", nodes, groups, edges, note: null });
    expect(nodes.length).toBeGreaterThan(80); // past the size laid out in one piece
    expect(layout.note).toBeNull();
    const boxes = new Map(layout.groups.map((g) => [g.group.id, g]));
    for (const placed of layout.nodes) {
      const box = placed.node.parent ? boxes.get(placed.node.parent) : undefined;
      if (!box) continue;
      expect(placed.x).toBeGreaterThanOrEqual(box.x);
      expect(placed.y).toBeGreaterThanOrEqual(box.y);
      expect(placed.x + placed.width).toBeLessThanOrEqual(box.x + box.width);
      expect(placed.y + placed.height).toBeLessThanOrEqual(box.y + box.height);
    }
    expect(layout.edges).toHaveLength(edges.length);
    const out = layout.edges.find((e) => e.edge.target === "router")!;
    const from = layout.nodes.find((n) => n.node.id === "agent0:step7")!;
    expect(out.points[0].y).toBe(from.y); // leaves its node, then its box
    expect(layout.width).toBeGreaterThan(0);
    // boxes with the same inside are laid out once: agent0-10, agent11 (its loop), the top level
    expect(layoutCalls()).toBe(3);
    const inBox = (id: string) => {
      const node = layout.nodes.find((n) => n.node.id === id)!;
      const box = boxes.get(node.node.parent!)!;
      return [node.x - box.x, node.y - box.y];
    };
    expect(inBox("agent7:step3")).toEqual(inBox("agent1:step3"));
    expect(inBox("agent11:step5")).not.toEqual(inBox("agent1:step5"));
  });

  it("draws cycles and self-loops", () => {
    const graph: GraphInfo = {
      assistant_id: "react",
      nodes: [
        { id: "agent", name: "agent", parent: null, kind: "node", tools: [] },
        { id: "tools", name: "tools", parent: null, kind: "node", tools: ["get_weather", "get_time"] },
      ],
      groups: [],
      edges: [
        { source: "agent", target: "tools", conditional: true, label: "continue" },
        { source: "tools", target: "agent", conditional: false, label: null },
        { source: "tools", target: "tools", conditional: true, label: null },
      ],
      note: null,
    };
    const layout = layoutGraph(graph);
    expect(layout.edges).toHaveLength(3);
    for (const edge of layout.edges) expect(edge.points.length).toBeGreaterThan(1);
    expect(layout.nodes.find((n) => n.node.id === "tools")?.tools).toEqual(["get_weather", "get_time"]);
  });

  it("shows a graph without a run (GraphView)", () => {
    const handlers: Record<string, Array<() => void>> = {};
    let graph: GraphInfo | Record<string, never> = {};
    const model = {
      get: (name: string) => (name === "kind" ? "graph" : graph),
      on: (event: string, cb: () => void) => (handlers[event] = [...(handlers[event] ?? []), cb]),
      off: () => {},
      send: () => {},
    };
    dispose = widget.render({ model: model as never, el });
    expect(el.querySelector('[data-testid="graph-status"]')?.textContent).toBe("Fetching the graph…");
    graph = SUBGRAPH;
    for (const cb of handlers["change:graph"] ?? []) cb();
    expect(el.querySelector('[data-testid="lg-graph-view"]')).toBeTruthy();
    expect(nodeEl("node_2:subgraph_node_2")).toBeTruthy();
    expect(el.querySelector('[data-testid="lg-run-view"]')).toBeNull();
  });
});

describe("selection by graph path", () => {
  it("matches a node, or everything inside a box, like Python's graph_path", () => {
    expect(graphPath("node_2:71d2d97a", "subgraph_node_1")).toBe("node_2:subgraph_node_1");
    expect(graphPath("a:1|b:2", "c")).toBe("a:b:c");
    expect(graphPath("", "node_1")).toBe("node_1");
    const selection = new Selection();
    selection.setNode("node_2");
    expect(selection.includes("node_2:71d2d97a", "subgraph_node_1")).toBe(true);
    expect(selection.includes("", "node_2")).toBe(true);
    expect(selection.includes("", "node_1")).toBe(false);
    expect(selection.includes("", "node_22")).toBe(false);
    selection.set("node_2:71d2d97a"); // the tree's selection replaces the graph's
    expect(selection.node).toBeNull();
    expect(selection.includes("", "node_1")).toBe(false);
  });
});
