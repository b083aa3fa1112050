// Where the graph's nodes, subgraph boxes and edges go: top to bottom, laid out by dagre
// (@dagrejs/dagre, bundled; ~50 KB minified). No DOM here: sizes come from the text's length,
// so a layout is the same in a browser and in tests, and it is computed once per graph.
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
const NODE_MIN_WIDTH = 80;
const NODE_BASE_HEIGHT = 36; // the name and the activity line
const END_SIZE = { width: 60, height: 22 }; // __start__ and __end__ are small

export const shorten = (text: string, chars: number): string =>
  text.length > chars ? `${text.slice(0, chars - 1)}…` : text;

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

/** Lay the graph out top to bottom; subgraph boxes hold their nodes. Throws only when even
 * the layout without boxes fails. */
export function layoutGraph(graph: GraphInfo): Layout {
  try {
    return run(graph, true);
  } catch (err) {
    if (!graph.groups.length) throw err;
    const layout = run(graph, false);
    layout.note = `Subgraph boxes could not be laid out (${err instanceof Error ? err.message : String(err)}); drawn without them.`;
    return layout;
  }
}

function run(graph: GraphInfo, boxes: boolean): Layout {
  const g = new dagre.graphlib.Graph({ compound: boxes && graph.groups.length > 0, multigraph: true });
  g.setGraph({ rankdir: "TB", nodesep: 28, ranksep: 36, edgesep: 12, marginx: 8, marginy: 8 });
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
    g.setNode(nodeKey(node.id), { ...size });
  }
  if (boxes) {
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
    if (!placed.has(edge.source) || !placed.has(edge.target)) return;
    const label = edge.label ? shorten(edge.label, 20) : null;
    const size = label ? { width: label.length * 6 + 6, height: 14, labelpos: "c" } : {};
    g.setEdge(nodeKey(edge.source), nodeKey(edge.target), { ...size }, String(i));
  });

  dagre.layout(g);

  const center = (key: string): Box => {
    const at = g.node(key) as Box;
    return { x: at.x - at.width / 2, y: at.y - at.height / 2, width: at.width, height: at.height };
  };
  const nodes = [...placed.values()].map((p) => ({ ...p, ...center(nodeKey(p.node.id)) }));
  const groups: PlacedGroup[] = boxes
    ? graph.groups.map((group) => ({
        group,
        label: shorten(group.name, NAME_CHARS),
        ...center(groupKey(group.id)),
      }))
    : [];
  const edges: PlacedEdge[] = [];
  graph.edges.forEach((edge, i) => {
    const at = g.edge({ v: nodeKey(edge.source), w: nodeKey(edge.target), name: String(i) }) as
      { points?: Point[]; x?: number; y?: number } | undefined;
    if (!at?.points?.length) return;
    const points = at.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
    const text = edge.label ? shorten(edge.label, 20) : null;
    edges.push({
      edge,
      points,
      label: text && at.x !== undefined && at.y !== undefined ? { x: at.x, y: at.y, text } : null,
    });
  });
  const size = g.graph() as { width?: number; height?: number };
  return { width: size.width ?? 0, height: size.height ?? 0, nodes, groups, edges, note: null };
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
