// The view's copy of the run: built from a snapshot, advanced by sequence-numbered deltas.
// Pure data (no DOM) so the ordering rules can be unit-tested.

import type {
  Delta,
  EventRow,
  GraphInfo,
  Header,
  MessageInfo,
  MessageRole,
  MessageUpdate,
  NodeActivity,
  Snapshot,
  TimelineRow,
  ToolCallInfo,
  TreeNode,
} from "./types";

/** A tool call with its whole argument text so far. */
export interface ToolCall extends Required<Omit<ToolCallInfo, "args_text">> {
  args_text: string;
}

/** A message with everything streamed into it so far (every field the wire may leave out
 * filled in with its default). */
export interface Message extends Required<Omit<MessageInfo, "text" | "reasoning" | "tool_calls">> {
  text: string;
  reasoning: string;
  tool_calls: ToolCall[];
}

/** What a MessageInfo leaves out (lg_widgets/view/wire.py MESSAGE_DEFAULTS). */
const messageDefaults = () => ({
  namespace: "",
  tags: [] as string[],
  complete: false,
  role: "ai" as MessageRole,
  name: null,
  tool_call_id: null,
  status: null,
  latency: null,
  waited: null,
  usage: null,
  input: false,
  synthetic: false,
  owner: null as string | null,
});

/** What one snapshot or delta changed, so panels update only what they must. */
export interface Change {
  reset: boolean; // everything was replaced (snapshot): panels rebuild
  header: boolean;
  tree: boolean;
  counts: boolean;
  newMessages: string[];
  updated: string[]; // known messages whose info changed (status, usage, calls...)
  appended: Map<string, string>; // message id -> text appended
  reasoning: Map<string, string>; // message id -> reasoning text appended
  toolArgs: Map<string, Map<number, string>>; // message id -> call index -> argument text appended
  completed: string[];
  rowsFrom: number; // index of the first new row (rows.length when none)
  named: number[]; // rows that got their checkpoint after they arrived
  graph: boolean; // the graph arrived (or was replaced)
  activity: string[]; // graph nodes whose activity changed
  started: string[]; // tool calls whose tool started
}

export type DeltaOutcome = "applied" | "stale" | "gap";

function emptyChange(rowsFrom: number, reset = false): Change {
  return {
    reset,
    header: reset,
    tree: reset,
    counts: reset,
    newMessages: [],
    updated: [],
    appended: new Map(),
    reasoning: new Map(),
    toolArgs: new Map(),
    completed: [],
    rowsFrom,
    named: [],
    graph: reset,
    activity: [],
    started: [],
  };
}

export class RunStore {
  seq = -1;
  header: Header | null = null;
  messages = new Map<string, Message>();
  private byKey = new Map<string, Message>(); // deltas name messages by their short key
  rows: TimelineRow[] = [];
  tree: TreeNode | null = null;
  counts: Record<string, number> = {};
  eventsTail: EventRow[] = [];
  graph: GraphInfo | null = null;
  activity = new Map<string, NodeActivity>();
  /** tool call id -> when its tool started, where the stream said */
  toolStarts = new Map<string, number>();
  /** namespace -> its tree node (the agent running there), rebuilt with each tree */
  namespaces = new Map<string, TreeNode>();
  /** tool call id -> the agents (tree nodes) it started */
  subagents = new Map<string, TreeNode[]>();
  /** handoff call id -> the agent (tree node) that handoff started (a supervisor's, a swarm's) */
  handoffs = new Map<string, TreeNode>();
  private callNames = new Map<string, string>(); // tool call id -> its name, once found
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
    this.byKey = new Map();
    for (const info of snap.messages) this.add(fromInfo(info));
    this.rows = [...snap.rows];
    this.setTree(snap.tree);
    this.counts = { ...snap.counts };
    this.toolStarts = new Map(Object.entries(snap.tool_starts ?? {}));
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
      const known = this.messages.get(info.id) ?? this.byKey.get(info.key);
      if (known) {
        if (info.complete && !known.complete) change.completed.push(known.id);
        if (known.id !== info.id) this.messages.delete(known.id); // a placeholder's real id
        merge(known, info);
        this.add(known);
        change.updated.push(info.id);
      } else {
        this.add(fromInfo(info));
        change.newMessages.push(info.id);
      }
    }
    for (const update of delta.message_updates ?? []) {
      const known = this.message(update.key, change);
      if (update.complete && !known.complete) change.completed.push(known.id);
      applyUpdate(known, update);
      change.updated.push(known.id);
    }
    for (const [key, piece] of Object.entries(delta.text ?? {})) {
      const message = this.message(key, change);
      message.text += piece;
      change.appended.set(message.id, piece);
    }
    for (const [key, piece] of Object.entries(delta.reasoning ?? {})) {
      const message = this.message(key, change);
      message.reasoning += piece;
      change.reasoning.set(message.id, piece);
    }
    for (const [key, calls] of Object.entries(delta.tool_args ?? {})) {
      const message = this.message(key, change);
      const pieces = new Map<number, string>();
      for (const [index, piece] of Object.entries(calls)) {
        callAt(message, Number(index)).args_text += piece;
        pieces.set(Number(index), piece);
      }
      change.toolArgs.set(message.id, pieces);
    }
    if (delta.rows?.length) this.rows.push(...delta.rows);
    for (const [index, id] of Object.entries(delta.checkpoints ?? {})) {
      const row = this.rows[Number(index)];
      if (row) {
        this.rows[Number(index)] = { ...row, checkpoint_id: id };
        change.named.push(Number(index));
      }
    }
    for (const [index, step] of Object.entries(delta.steps ?? {})) {
      const row = this.rows[Number(index)];
      if (row) {
        this.rows[Number(index)] = { ...row, step };
        change.named.push(Number(index));
      }
    }
    if (delta.tree) {
      this.setTree(delta.tree);
      change.tree = true;
    }
    for (const [id, time] of Object.entries(delta.tool_starts ?? {})) {
      this.toolStarts.set(id, time);
      change.started.push(id);
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

  /** The tree and its indexes: O(tree nodes), once per tree the kernel sends (on a new
   * namespace or status, and at most once a second for its counts). */
  private setTree(tree: TreeNode | Record<string, never> | undefined): void {
    this.tree = isTree(tree) ? tree : null;
    this.namespaces = new Map();
    this.subagents = new Map();
    this.handoffs = new Map();
    const walk = (node: TreeNode) => {
      this.namespaces.set(node.namespace, node);
      if (node.cause === "handoff" && node.tool_call_id) this.handoffs.set(node.tool_call_id, node);
      if (node.cause === "tool_call" && node.tool_call_id) {
        const started = this.subagents.get(node.tool_call_id);
        if (started) started.push(node);
        else this.subagents.set(node.tool_call_id, [node]);
      }
      for (const child of node.children) walk(child);
    };
    if (this.tree) walk(this.tree);
  }

  /** The agent running in `namespace`: the tree's, else (the tree not here yet) its node's
   * name, as Python's `AgentReducer.agent_of`. */
  agentOf(namespace: string): string {
    const node = this.namespaces.get(namespace);
    if (node) return node.agent;
    if (!namespace) return this.tree?.agent ?? "root";
    return namespace.slice(namespace.lastIndexOf("|") + 1).split(":")[0];
  }

  /** The name of the tool call with `id`, from the messages that made it (null: not seen).
   * Found once per call (a call's name never changes), so the tree's call rows cost a lookup. */
  callName(id: string): string | null {
    const known = this.callNames.get(id);
    if (known !== undefined) return known;
    for (const message of this.messages.values())
      for (const call of message.tool_calls)
        if (call.id === id && call.name !== null) {
          this.callNames.set(id, call.name);
          return call.name;
        }
    return null;
  }

  /** A graph without a run (GraphView): no activity. */
  setGraph(graph: GraphInfo | null): void {
    this.graph = graph;
    this.activity = new Map();
    this.emit({ ...emptyChange(this.rows.length), graph: true });
  }

  private add(message: Message): void {
    this.messages.set(message.id, message);
    this.byKey.set(message.key, message);
  }

  /** The message with `key`; a placeholder (named by its key) when its pieces came before its
   * info (shown until it arrives). */
  private message(key: string, change: Change): Message {
    let message = this.byKey.get(key);
    if (!message) {
      message = fromInfo({
        id: key,
        key,
        namespace: "",
        node: null,
        tags: [],
        complete: false,
        role: "ai",
        name: null,
        tool_call_id: null,
        status: null,
        latency: null,
        waited: null,
        usage: null,
        tool_calls: [],
        first_time: 0,
        input: false,
        synthetic: false,
        owner: null,
      });
      this.add(message);
      change.newMessages.push(key);
    }
    return message;
  }

  get totalEvents(): number {
    return Object.values(this.counts).reduce((a, b) => a + b, 0);
  }
}

/** A message from its info; a snapshot's info carries the whole texts so far. */
function fromInfo(info: MessageInfo): Message {
  const { text = "", reasoning = "", ...rest } = info;
  return {
    ...messageDefaults(),
    ...rest,
    text,
    reasoning,
    tool_calls: info.tool_calls.map(({ args_text = "", ...call }) => ({ ...call, args_text })),
  };
}

/** Replace a known message's info, keeping what streamed into it (texts, argument texts). */
function merge(known: Message, info: MessageInfo): void {
  const previous = known.tool_calls;
  const { text: _text, reasoning: _reasoning, tool_calls, ...rest } = info;
  Object.assign(known, messageDefaults(), rest);
  known.tool_calls = tool_calls.map(({ args_text: _args, ...call }) => ({
    ...call,
    args_text: previous.find((c) => c.index === call.index)?.args_text ?? "",
  }));
  // argument pieces that came before their call's info stay until it arrives
  for (const call of previous) {
    if (!known.tool_calls.some((c) => c.index === call.index)) known.tool_calls.push(call);
  }
}

/** A known message's changed fields; its calls by index (a new one is added). */
function applyUpdate(known: Message, update: MessageUpdate): void {
  const { key: _key, tool_calls, ...fields } = update;
  Object.assign(known, fields);
  for (const { index, ...changed } of tool_calls ?? []) Object.assign(callAt(known, index), changed);
}

/** The call at `index`, created (name unknown) when its argument pieces come first. */
function callAt(message: Message, index: number): ToolCall {
  let call = message.tool_calls.find((c) => c.index === index);
  if (!call) {
    call = { index, id: null, name: null, args_text: "" };
    message.tool_calls.push(call);
  }
  return call;
}

function isTree(tree: unknown): tree is TreeNode {
  return !!tree && typeof tree === "object" && "name" in (tree as object);
}
