// The view's copy of the run: built from a snapshot, advanced by sequence-numbered deltas.
// Pure data (no DOM) so the ordering rules can be unit-tested.

import type {
  Delta,
  EventRow,
  GraphInfo,
  Header,
  MessageInfo,
  NodeActivity,
  Snapshot,
  TimelineRow,
  TreeNode,
} from "./types";

export interface Message extends MessageInfo {
  text: string;
}

/** What one snapshot or delta changed, so panels update only what they must. */
export interface Change {
  reset: boolean; // everything was replaced (snapshot): panels rebuild
  header: boolean;
  tree: boolean;
  counts: boolean;
  newMessages: string[];
  appended: Map<string, string>; // message id -> text appended
  completed: string[];
  rowsFrom: number; // index of the first new row (rows.length when none)
  graph: boolean; // the graph arrived (or was replaced)
  activity: string[]; // graph nodes whose activity changed
}

export type DeltaOutcome = "applied" | "stale" | "gap";

function emptyChange(rowsFrom: number, reset = false): Change {
  return {
    reset,
    header: reset,
    tree: reset,
    counts: reset,
    newMessages: [],
    appended: new Map(),
    completed: [],
    rowsFrom,
    graph: reset,
    activity: [],
  };
}

export class RunStore {
  seq = -1;
  header: Header | null = null;
  messages = new Map<string, Message>();
  rows: TimelineRow[] = [];
  tree: TreeNode | null = null;
  counts: Record<string, number> = {};
  eventsTail: EventRow[] = [];
  graph: GraphInfo | null = null;
  activity = new Map<string, NodeActivity>();
  private pending = new Map<number, Delta>();
  private listeners: Array<(change: Change) => void> = [];

  subscribe(listener: (change: Change) => void): () => void {
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  private emit(change: Change): void {
    for (const listener of this.listeners) listener(change);
  }

  /** Replace everything when the snapshot is at least as new as what we have. */
  applySnapshot(snapshot: Snapshot | Record<string, never> | null | undefined): boolean {
    if (!snapshot || typeof (snapshot as Snapshot).seq !== "number") return false;
    const snap = snapshot as Snapshot;
    if (snap.seq < this.seq) return false;
    if (snap.seq === this.seq && this.header !== null && this.pending.size === 0) return false;
    this.seq = snap.seq;
    this.header = snap.header;
    this.messages = new Map();
    for (const info of snap.messages) {
      this.messages.set(info.id, { ...info, text: info.text ?? "" });
    }
    this.rows = [...snap.rows];
    this.tree = isTree(snap.tree) ? snap.tree : null;
    this.counts = { ...snap.counts };
    this.eventsTail = [...(snap.events_tail ?? [])];
    this.graph = snap.graph ?? null;
    this.activity = new Map((snap.graph_activity ?? []).map((a) => [a.id, a]));
    this.emit(emptyChange(0, true));
    for (const key of [...this.pending.keys()]) {
      if (key <= this.seq) this.pending.delete(key);
    }
    this.drain();
    return true;
  }

  /** Apply deltas strictly in order; a delta after a gap waits for the missing ones. */
  applyDelta(delta: Delta): DeltaOutcome {
    if (delta.seq <= this.seq) return "stale";
    if (delta.seq > this.seq + 1) {
      this.pending.set(delta.seq, delta);
      return "gap";
    }
    this.applyOne(delta);
    this.drain();
    return "applied";
  }

  get hasGap(): boolean {
    return this.pending.size > 0;
  }

  private drain(): void {
    let next = this.pending.get(this.seq + 1);
    while (next) {
      this.pending.delete(next.seq);
      this.applyOne(next);
      next = this.pending.get(this.seq + 1);
    }
  }

  private applyOne(delta: Delta): void {
    const change = emptyChange(this.rows.length);
    this.seq = delta.seq;
    if (delta.header) {
      this.header = delta.header;
      change.header = true;
    }
    for (const info of delta.messages ?? []) {
      const known = this.messages.get(info.id);
      if (known) {
        if (info.complete && !known.complete) change.completed.push(info.id);
        Object.assign(known, { ...info, text: known.text });
      } else {
        this.messages.set(info.id, { ...info, text: "" });
        change.newMessages.push(info.id);
      }
    }
    for (const [id, piece] of Object.entries(delta.text ?? {})) {
      let message = this.messages.get(id);
      if (!message) {
        message = { id, namespace: "", node: null, tags: [], complete: false, text: "" };
        this.messages.set(id, message);
        change.newMessages.push(id);
      }
      message.text += piece;
      change.appended.set(id, piece);
    }
    if (delta.rows?.length) this.rows.push(...delta.rows);
    if (delta.tree) {
      this.tree = isTree(delta.tree) ? delta.tree : null;
      change.tree = true;
    }
    if (delta.counts) {
      this.counts = delta.counts;
      change.counts = true;
    }
    if (delta.graph) {
      this.graph = delta.graph;
      this.activity = new Map();
      change.graph = true;
    }
    for (const activity of delta.graph_activity ?? []) {
      this.activity.set(activity.id, activity);
      change.activity.push(activity.id);
    }
    this.emit(change);
  }

  /** A graph without a run (GraphView): no activity. */
  setGraph(graph: GraphInfo | null): void {
    this.graph = graph;
    this.activity = new Map();
    this.emit({ ...emptyChange(this.rows.length), graph: true });
  }

  /** Text per "namespace|node" source, joined like Python's `run.tokens`. */
  textBySource(): Map<string, string> {
    const grouped = new Map<string, string[]>();
    for (const m of this.messages.values()) {
      const key = `${m.namespace}\u0000${m.node ?? ""}`;
      const list = grouped.get(key) ?? [];
      list.push(m.text);
      grouped.set(key, list);
    }
    return new Map([...grouped].map(([k, v]) => [k, v.join("\n\n")]));
  }

  get totalEvents(): number {
    return Object.values(this.counts).reduce((a, b) => a + b, 0);
  }
}

function isTree(tree: unknown): tree is TreeNode {
  return !!tree && typeof tree === "object" && "name" in (tree as object);
}
