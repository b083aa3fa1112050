// Where the graph's nodes, subgraph boxes and edges go: top to bottom, laid out by dagre
// (@dagrejs/dagre, bundled; ~50 KB minified). No DOM here: sizes come from the text's length,
// so a layout is the same in a browser and in tests, and it is computed once per graph.
//
// Subgraph boxes: up to COMPOUND_MAX_NODES nodes, dagre lays out the whole graph at once with the
// boxes as clusters (the best drawing: edges are routed to the nodes inside). Dagre's clusters
// cost more than linear time (a 200-node graph with 20 boxes took ~1 s), so a bigger graph is laid
// out box by box: each box's inside on its own, then each level with its boxes as single blocks;
// an edge that crosses a box's border is drawn from the border to its node. Boxes with the same
// inside (one subgraph used by several nodes, alike sub-agents) are laid out once. If boxes
// cannot be laid out at all, the graph is drawn without them and the note says so.
import { middle } from "./dom";
import dagre from "@dagrejs/dagre";
import type { GraphEdge, GraphGroup, GraphInfo, GraphNode } from "./types";

export interface Point {
  x: number;
  y: number;
}
/** A rectangle by its top-left corner. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}
export interface PlacedNode extends Box {
  node: GraphNode;
  label: string;
  tools: string[]; // the tool lines drawn (a long list ends with "+N more")
}
export interface PlacedGroup extends Box {
  group: GraphGroup;
  label: string;
}
export interface PlacedEdge {
  edge: GraphEdge;
  points: Point[];
  label: (Point & { text: string }) | null;
}
export interface Layout {
  width: number;
  height: number;
  nodes: PlacedNode[];
  groups: PlacedGroup[];
  edges: PlacedEdge[];
  /** What could not be laid out as asked, in one line (e.g. drawn without subgraph boxes). */
  note: string | null;
}

export const CHAR_WIDTH = 7; // at the panel's 12px font
export const NAME_CHARS = 30;
export const MAX_TOOL_LINES = 5;
export const LINE_HEIGHT = 14;
const NODE_PAD = 12;
const NODE_MIN_WIDTH = 120; // room for the activity line ("×12 · 3.4 s")
const NODE_BASE_HEIGHT = 36; // the name and the activity line
const END_SIZE = { width: 60, height: 22 }; // __start__ and __end__ are small

/** Names are cut in the middle (dom.ts `middle`): a middleware's hook keeps its end. */
export const shorten = middle;

function toolLines(node: GraphNode): string[] {
  const tools = node.tools.map((t) => shorten(t, NAME_CHARS));
  if (tools.length <= MAX_TOOL_LINES) return tools;
  return [...tools.slice(0, MAX_TOOL_LINES - 1), `+${tools.length - MAX_TOOL_LINES + 1} more`];
}

function nodeLabel(node: GraphNode): string {
  if (node.kind === "start") return "start";
  if (node.kind === "end") return "end";
  return shorten(node.name, NAME_CHARS);
}

const nodeKey = (id: string) => `n\u0000${id}`;
const groupKey = (id: string) => `g\u0000${id}`;
const TOP = ""; // the container of everything not in a box

export const COMPOUND_MAX_NODES = 80;
const BOX_PAD = 12;
const BOX_LABEL = 20; // room for the box's name above its nodes
const SPACING = { rankdir: "TB", nodesep: 28, ranksep: 36, edgesep: 12 };

type DagreGraph = InstanceType<typeof dagre.graphlib.Graph>;
interface EdgeLabel {
  points?: Point[];
  x?: number;
  y?: number;
}

/** Lay the graph out top to bottom, subgraph boxes around their nodes. Throws only when even
 * the layout without boxes fails. */
export function layoutGraph(graph: GraphInfo): Layout {
  const strategies: Array<"compound" | "nested" | "flat"> = !graph.groups.length
    ? ["flat"]
    : graph.nodes.length <= COMPOUND_MAX_NODES
      ? ["compound", "nested", "flat"]
      : ["nested", "flat"];
  let failure: string | null = null;
  for (const strategy of strategies) {
    try {
      const layout = strategy === "nested" ? nested(graph) : whole(graph, strategy === "compound");
      if (failure !== null && strategy === "flat")
        layout.note = `Subgraph boxes could not be laid out (${failure}); drawn without them.`;
      return layout;
    } catch (err) {
      failure ??= err instanceof Error ? err.message : String(err);
      if (strategy === "flat") throw err;
    }
  }
  throw new Error("no layout"); // unreachable: "flat" is always tried last
}

function placeNodes(graph: GraphInfo): Map<string, PlacedNode> {
  const placed = new Map<string, PlacedNode>();
  for (const node of graph.nodes) {
    const tools = toolLines(node);
    const label = nodeLabel(node);
    const size =
      node.kind === "node"
        ? {
            width: Math.max(
              NODE_MIN_WIDTH,
              NODE_PAD * 2 + CHAR_WIDTH * Math.max(label.length, ...tools.map((t) => t.length + 2)),
            ),
            height: NODE_BASE_HEIGHT + (tools.length ? 4 + tools.length * LINE_HEIGHT : 0),
          }
        : END_SIZE;
    placed.set(node.id, { node, label, tools, x: 0, y: 0, ...size });
  }
  return placed;
}

const edgeLabel = (edge: GraphEdge) => (edge.label ? shorten(edge.label, 20) : null);

function dagreGraph(compound: boolean, margin: number): DagreGraph {
  const g = new dagre.graphlib.Graph({ compound, multigraph: true });
  g.setGraph({ ...SPACING, marginx: margin, marginy: margin });
  return g;
}

function addEdge(g: DagreGraph, source: string, target: string, label: string | null, name: string): void {
  g.setEdge(source, target, label ? { width: label.length * 6 + 6, height: 14, labelpos: "c" } : {}, name);
}

function finite(points: Point[] | undefined, dx = 0, dy = 0): Point[] {
  return (points ?? [])
    .filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y))
    .map((p) => ({ x: p.x + dx, y: p.y + dy }));
}

function topLeft(at: Box, dx = 0, dy = 0): Box {
  return { x: at.x - at.width / 2 + dx, y: at.y - at.height / 2 + dy, width: at.width, height: at.height };
}

/** One dagre layout of everything, boxes as clusters (`compound`) or no boxes. */
function whole(graph: GraphInfo, compound: boolean): Layout {
  const g = dagreGraph(compound, 8);
  const placed = placeNodes(graph);
  for (const p of placed.values()) g.setNode(nodeKey(p.node.id), { width: p.width, height: p.height });
  if (compound) {
    const known = new Set(graph.groups.map((group) => group.id));
    for (const group of graph.groups) g.setNode(groupKey(group.id), {});
    for (const group of graph.groups)
      if (group.parent !== null && known.has(group.parent))
        g.setParent(groupKey(group.id), groupKey(group.parent));
    for (const node of graph.nodes)
      if (node.parent !== null && known.has(node.parent))
        g.setParent(nodeKey(node.id), groupKey(node.parent));
  }
  graph.edges.forEach((edge, i) => {
    if (placed.has(edge.source) && placed.has(edge.target))
      addEdge(g, nodeKey(edge.source), nodeKey(edge.target), edgeLabel(edge), String(i));
  });
  dagre.layout(g);
  const nodes = [...placed.values()].map((p) => ({ ...p, ...topLeft(g.node(nodeKey(p.node.id)) as Box) }));
  const groups: PlacedGroup[] = compound
    ? graph.groups.map((group) => ({
        group,
        label: shorten(group.name, NAME_CHARS),
        ...topLeft(g.node(groupKey(group.id)) as Box),
      }))
    : [];
  const edges: PlacedEdge[] = [];
  graph.edges.forEach((edge, i) => {
    if (!placed.has(edge.source) || !placed.has(edge.target)) return;
    const at = g.edge({ v: nodeKey(edge.source), w: nodeKey(edge.target), name: String(i) }) as EdgeLabel;
    const points = finite(at?.points);
    if (points.length) edges.push({ edge, points, label: labelAt(edge, at) });
  });
  const size = g.graph() as { width?: number; height?: number };
  return { width: size.width ?? 0, height: size.height ?? 0, nodes, groups, edges, note: null };
}

function labelAt(edge: GraphEdge, at: EdgeLabel | undefined, dx = 0, dy = 0): PlacedEdge["label"] {
  const text = edgeLabel(edge);
  return text && at?.x !== undefined && at.y !== undefined ? { x: at.x + dx, y: at.y + dy, text } : null;
}

/**
 * Dagre's first ordering of each rank, without its sweeps: nodes in depth-first order from the
 * top rank down, so a chain stays in one column. `disableOptimalOrderHeuristic` skips the sweeps
 * too but still builds two layer graphs per rank for them, most of a small box's order time.
 */
function firstOrder(g: DagreGraph): void {
  const ranks: string[][] = [];
  const seen = new Set<string>();
  const rankOf = (v: string) => (g.node(v) as { rank: number }).rank;
  const visit = (v: string) => {
    if (seen.has(v)) return;
    seen.add(v);
    (ranks[rankOf(v)] ??= []).push(v);
    for (const w of g.successors(v) ?? []) visit(w);
  };
  const simple = g.nodes().filter((v) => !g.children(v).length);
  simple.sort((a, b) => rankOf(a) - rankOf(b)).forEach(visit);
  for (const rank of ranks) rank?.forEach((v, i) => ((g.node(v) as { order: number }).order = i));
}

/** Box by box: each box's inside laid out on its own (innermost first), then placed as one
 * block in the level around it; an edge belongs to the innermost level holding both ends. */
function nested(graph: GraphInfo): Layout {
  const placed = placeNodes(graph);
  const groups = new Map(graph.groups.map((group) => [group.id, group]));
  const containerOf = (parent: string | null) => (parent !== null && groups.has(parent) ? parent : TOP);
  /** The containers around an item, innermost first, ending with TOP. */
  const chain = (parent: string | null): string[] => {
    const out: string[] = [];
    for (let at = containerOf(parent); at !== TOP; at = containerOf(groups.get(at)?.parent ?? null)) {
      if (out.includes(at)) break; // a parent cycle (bad input): stop climbing
      out.push(at);
    }
    out.push(TOP);
    return out;
  };
  const nodeChains = new Map(graph.nodes.map((n) => [n.id, chain(n.parent)]));
  const groupChains = new Map(graph.groups.map((gr) => [gr.id, chain(gr.parent)]));
  /** What stands for `nodeId` in `container`: the node itself, or the box holding it there. */
  const itemIn = (nodeId: string, container: string): string => {
    const around = nodeChains.get(nodeId) ?? [TOP];
    const at = around.indexOf(container);
    return at <= 0 ? nodeKey(nodeId) : groupKey(around[at - 1]);
  };
  const edgesByContainer = new Map<string, number[]>();
  graph.edges.forEach((edge, i) => {
    const source = nodeChains.get(edge.source);
    const target = nodeChains.get(edge.target);
    if (!source || !target) return;
    const common = source.find((c) => target.includes(c)) ?? TOP;
    edgesByContainer.set(common, [...(edgesByContainer.get(common) ?? []), i]);
  });

  const inner = [...groups.keys()].sort((a, b) => groupChains.get(b)!.length - groupChains.get(a)!.length);
  const levels = new Map<string, { level: Level; position: Map<string, number> }>();
  const shapes = new Map<string, Level>(); // boxes with the same inside are laid out once
  const blockSize = new Map<string, { width: number; height: number }>();
  for (const container of [...inner, TOP]) {
    const items: Array<{ key: string; width: number; height: number }> = [];
    for (const node of graph.nodes)
      if (containerOf(node.parent) === container) {
        const p = placed.get(node.id)!;
        items.push({ key: nodeKey(node.id), width: p.width, height: p.height });
      }
    for (const group of graph.groups)
      if (containerOf(group.parent) === container && group.id !== container)
        items.push({ key: groupKey(group.id), ...blockSize.get(group.id)! });
    const position = new Map(items.map((item, at) => [item.key, at]));
    const links = (edgesByContainer.get(container) ?? []).map((i) => {
      const edge = graph.edges[i];
      return {
        v: position.get(itemIn(edge.source, container))!,
        w: position.get(itemIn(edge.target, container))!,
        label: edgeLabel(edge),
      };
    });
    const shape = JSON.stringify([
      container === TOP,
      items.map((item) => [item.width, item.height]),
      links.map((link) => [link.v, link.w, link.label?.length ?? -1]),
    ]);
    let level = shapes.get(shape);
    if (!level) {
      level = layOutLevel(items, links, container === TOP);
      shapes.set(shape, level);
    }
    levels.set(container, { level, position });
    blockSize.set(container, {
      width: Math.max(level.width, CHAR_WIDTH * (groups.get(container)?.name.length ?? 0)) + 2 * BOX_PAD,
      height: level.height + BOX_LABEL + BOX_PAD,
    });
  }
  const placedIn = (container: string, key: string, at: Point): Box => {
    const { level, position } = levels.get(container)!;
    return topLeft(level.item(position.get(key)!), at.x, at.y);
  };

  // top down: where each level's inside starts
  const origin = new Map<string, Point>([[TOP, { x: 0, y: 0 }]]);
  const boxes: PlacedGroup[] = [];
  for (const container of [TOP, ...[...inner].reverse()]) {
    const at = origin.get(container) ?? { x: 0, y: 0 };
    for (const group of graph.groups) {
      if (containerOf(group.parent) !== container || group.id === container) continue;
      const box = placedIn(container, groupKey(group.id), at);
      boxes.push({ group, label: shorten(group.name, NAME_CHARS), ...box });
      origin.set(group.id, { x: box.x + BOX_PAD, y: box.y + BOX_LABEL });
    }
  }
  const nodes: PlacedNode[] = [...placed.values()].map((p) => {
    const container = containerOf(p.node.parent);
    return { ...p, ...placedIn(container, nodeKey(p.node.id), origin.get(container) ?? { x: 0, y: 0 }) };
  });
  const where = new Map(nodes.map((n) => [n.node.id, n]));
  const edges: PlacedEdge[] = [];
  for (const [container, indices] of edgesByContainer) {
    const { level } = levels.get(container)!;
    const at = origin.get(container) ?? { x: 0, y: 0 };
    indices.forEach((i, link) => {
      const edge = graph.edges[i];
      const route = level.route(link);
      const points = finite(route?.points, at.x, at.y);
      if (!points.length) return;
      const source = where.get(edge.source)!;
      const target = where.get(edge.target)!;
      if (itemIn(edge.source, container) !== nodeKey(edge.source)) points.unshift(border(source, points[0]));
      if (itemIn(edge.target, container) !== nodeKey(edge.target))
        points.push(border(target, points[points.length - 1]));
      edges.push({ edge, points, label: labelAt(edge, route, at.x, at.y) });
    });
  }
  const top = levels.get(TOP)!.level;
  const ordered = graph.groups.map((gr) => boxes.find((b) => b.group.id === gr.id)!).filter(Boolean);
  return { width: top.width, height: top.height, nodes, groups: ordered, edges, note: null };
}

/** One level of a box-by-box layout: its items and edges by their position in it. */
interface Level {
  width: number;
  height: number;
  item(position: number): Box; // by its centre, as dagre gives it
  route(position: number): EdgeLabel | undefined;
}

/** Dagre on one level, its items and edges named by position (so boxes of the same shape get
 * the same layout). Inside a box, a first ordering without crossing-reduction sweeps (about
 * half of a box's layout time); the level holding the boxes still gets dagre's sweeps. */
function layOutLevel(
  items: Array<{ width: number; height: number }>,
  links: Array<{ v: number; w: number; label: string | null }>,
  top: boolean,
): Level {
  const g = dagreGraph(false, top ? 8 : 0);
  items.forEach((item, i) => g.setNode(String(i), { width: item.width, height: item.height }));
  links.forEach((link, i) => addEdge(g, String(link.v), String(link.w), link.label, String(i)));
  dagre.layout(g, top ? {} : { customOrder: firstOrder });
  const size = g.graph() as { width?: number; height?: number };
  return {
    width: size.width ?? 0,
    height: size.height ?? 0,
    item: (position) => g.node(String(position)) as Box,
    route: (position) => {
      const link = links[position];
      return g.edge({ v: String(link.v), w: String(link.w), name: String(position) }) as
        EdgeLabel | undefined;
    },
  };
}

/** Where a line from `toward` meets a node: the middle of its top or bottom side. */
function border(box: Box, toward: Point): Point {
  const below = toward.y > box.y + box.height / 2;
  return { x: box.x + box.width / 2, y: below ? box.y + box.height : box.y };
}

/** An SVG path through the layout's points, rounded at the bends. */
export function edgePath(points: Point[]): string {
  if (!points.length) return "";
  const f = (n: number) => n.toFixed(1);
  let d = `M${f(points[0].x)},${f(points[0].y)}`;
  for (let i = 1; i < points.length - 1; i++) {
    const mid = { x: (points[i].x + points[i + 1].x) / 2, y: (points[i].y + points[i + 1].y) / 2 };
    d += ` Q${f(points[i].x)},${f(points[i].y)} ${f(mid.x)},${f(mid.y)}`;
  }
  const last = points[points.length - 1];
  return `${d} L${f(last.x)},${f(last.y)}`;
}
