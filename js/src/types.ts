// The wire contract between the kernel (lg_widgets/view/wire.py) and this front end.
// Kept plain on purpose, one field per line: a Python test parses these declarations and holds
// them to the kernel's TypedDicts, so a renamed or retyped field fails there, not in a browser.
// Vocabulary: `namespace` is the segments joined by "|" (root ""); `time` is epoch seconds.

// kept on one line for the Python test's parser
// prettier-ignore
export type RunStatus = "pending" | "running" | "reconnecting" | "cancelling" | "success" | "error" | "cancelled" | "interrupted";

export type TreeStatus = "running" | "success" | "error" | "cancelled" | "interrupted";

export type NodeStatus = "running" | "success" | "error" | "interrupted" | "cancelled";

export type GraphNodeKind = "start" | "end" | "node";

// how a pending interrupt is answered: a standard payload (LangChain's HumanInTheLoopMiddleware,
// or the Agent Inbox schema) with one decision per action, or any other value
export type InterruptKind = "hitl" | "inbox" | "value";

export type DecisionType = "approve" | "edit" | "reject" | "respond";

// one action a standard interrupt asks about (a tool call), with the decisions it allows
export interface InterruptAction {
  name: string;
  args: Record<string, unknown>;
  description: string | null;
  allowed: DecisionType[];
}

// a pending interrupt as read by lg_widgets/interrupts.py; `actions` empty for kind "value"
export interface InterruptInfo {
  id: string | null;
  kind: InterruptKind;
  value: unknown;
  namespace: string[];
  actions: InterruptAction[];
}

// one run of the view's thread chain (oldest first); `origin` says how it started
export interface ThreadRun {
  run_id: string | null;
  status: RunStatus;
  origin: string;
  started_at: number;
}

export interface Header {
  assistant_id: string | null;
  thread_id: string | null;
  run_id: string | null;
  status: RunStatus;
  error: string | null;
  interrupts: InterruptInfo[];
  started_at: number;
  ended_at: number | null;
  stream_mode: string[];
  live: boolean;
  warnings: string[];
  reconnect_attempt: number | null;
  reconnects: number;
  runs: ThreadRun[];
}

export type MessageRole = "human" | "ai" | "tool" | "system" | "other";

export type ToolStatus = "success" | "error";

export interface Usage {
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
}

export interface ToolCallInfo {
  // the provider's tool-call index within its message: the key of its argument pieces
  index: number;
  // links the tool's result (a tool message's tool_call_id)
  id: string | null;
  // known from the first chunk: shown at once
  name: string | null;
  // in snapshots only: the whole raw argument string so far (deltas carry Delta.tool_args)
  args_text?: string;
}

// What changed in one call of a known message (a new call comes whole, as a ToolCallInfo)
export interface ToolCallUpdate {
  // which call: ToolCallInfo.index
  index: number;
  id?: string | null;
  name?: string | null;
}

// Sent whole in Delta.messages when new to the front end; changes come as MessageUpdate.
// An optional field left out holds its default (MESSAGE_DEFAULTS in store.ts: "", [], false, null).
export interface MessageInfo {
  id: string;
  // the view's short handle for the message: deltas key its pieces and updates by it
  key: string;
  namespace?: string;
  node: string | null;
  tags?: string[];
  complete?: boolean;
  // left out: "ai"
  role?: MessageRole;
  // a tool message's tool name
  name?: string | null;
  // a tool message: the call it answers
  tool_call_id?: string | null;
  // a tool message: how its tool ended
  status?: ToolStatus | null;
  // a tool message: the tool's own seconds, from its start (where the stream says, else its
  // call's last argument chunk) to its end
  latency?: number | null;
  // a tool message: seconds from its call's last argument chunk to the tool's start (an approval)
  waited?: number | null;
  // where the provider reported it
  usage?: Usage | null;
  // an AI message's calls
  tool_calls: ToolCallInfo[];
  // when the message began (a tool result's time)
  first_time: number;
  // the user's input (from the run's input / state), not streamed
  input?: boolean;
  // written by a framework in an agent's name ("Transferring back to supervisor"), not its LLM's
  synthetic?: boolean;
  // the namespace of the agent it speaks for when not its own (a synthetic message: the agent
  // whose node wrote it)
  owner?: string | null;
  // in snapshots only: the whole text so far (deltas carry pieces in Delta.text)
  text?: string;
  // in snapshots only: the whole reasoning text so far (deltas carry Delta.reasoning)
  reasoning?: string;
}

// A known message's changed fields only (a second tool call, the completion, usage...)
export interface MessageUpdate {
  key: string;
  complete?: boolean;
  name?: string | null;
  tool_call_id?: string | null;
  status?: ToolStatus | null;
  latency?: number | null;
  waited?: number | null;
  usage?: Usage | null;
  // new calls whole, known ones by index with their changed fields
  tool_calls?: ToolCallUpdate[];
  node?: string | null;
  namespace?: string;
  tags?: string[];
  role?: MessageRole;
  first_time?: number;
  input?: boolean;
  synthetic?: boolean;
  owner?: string | null;
}

export interface TimelineRow {
  index: number;
  seq: number;
  time: number;
  mode: string;
  namespace: string;
  node: string | null;
  step: number | null;
  changed: string[];
  preview: string;
  /** the checkpoint written after this row's step, once known */
  checkpoint_id: string | null;
}

export type AgentCause = "run" | "node" | "tool_call" | "send" | "handoff";

// who handed off to an agent, and with which call (`run.handoffs`' row); `back`: a framework
// handed back ("Transferring back to ..."), to whoever the parent runs next
export interface TreeHandoff {
  from_agent: string | null;
  from_namespace: string | null;
  tool: string | null; // the handoff tool ("transfer_to_researcher")
  back: boolean;
}

export interface TreeNode {
  namespace: string;
  name: string;
  agent: string; // the agent running in this namespace (`run.agents`)
  cause: AgentCause; // what started it
  tool_call_id: string | null; // the tool call (or handoff) that started it, where the stream says
  handoff: TreeHandoff | null; // cause "handoff": who handed off, with which tool
  tokens: number; // total tokens its own messages reported
  task_id: string | null;
  status: TreeStatus;
  events: number;
  nodes: Record<string, number>;
  first_time: number;
  last_time: number;
  left_out: boolean; // its events were left out on the server (a narrowed subscription): "open"
  children: TreeNode[];
}

export interface EventRow {
  seq: number;
  time: number;
  mode: string;
  namespace: string;
  node: string | null;
  preview: string;
}

// with xray a subgraph's node id is "parent:child"; `parent` is the subgraph box it is drawn in
export interface GraphNode {
  id: string;
  name: string;
  parent: string | null;
  kind: GraphNodeKind;
  tools: string[];
}

export interface GraphGroup {
  id: string;
  name: string;
  parent: string | null;
}

export interface GraphEdge {
  source: string;
  target: string;
  conditional: boolean;
  label: string | null;
}

// the assistant's graph as drawn, sent once; `note` says in one line what is missing
export interface GraphInfo {
  assistant_id: string | null;
  nodes: GraphNode[];
  groups: GraphGroup[];
  edges: GraphEdge[];
  note: string | null;
}

// what ran on one drawn node or subgraph box; deltas carry only the changed ones
export interface NodeActivity {
  id: string;
  status: NodeStatus | null;
  visits: number;
  seconds: number;
  running: number;
  parallel: number;
  latest: boolean;
}

export interface Snapshot {
  seq: number;
  header: Header;
  messages: MessageInfo[];
  rows: TimelineRow[];
  tree: TreeNode | Record<string, never>;
  counts: Record<string, number>;
  events_tail: EventRow[];
  // null until fetched
  graph: GraphInfo | null;
  graph_activity: NodeActivity[];
  // tool call id -> when its tool started, where the stream says (a card runs from there)
  tool_starts?: Record<string, number>;
}

export interface Delta {
  type: "delta";
  seq: number;
  header?: Header;
  // messages new to the front end, whole
  messages?: MessageInfo[];
  // known messages: what changed
  message_updates?: MessageUpdate[];
  // message key -> text appended since the last delta
  text?: Record<string, string>;
  // message key -> reasoning text appended since the last delta
  reasoning?: Record<string, string>;
  // message key -> tool-call index (as a string) -> argument text appended since the last delta
  tool_args?: Record<string, Record<string, string>>;
  rows?: TimelineRow[];
  /** row index -> the checkpoint the row got after it was sent */
  checkpoints?: Record<string, string>;
  /** row index -> the step its checkpoint gave it after it was sent (the stream said none) */
  steps?: Record<string, number>;
  tree?: TreeNode | Record<string, never>;
  counts?: Record<string, number>;
  graph?: GraphInfo;
  graph_activity?: NodeActivity[];
  // tools that started since the last delta
  tool_starts?: Record<string, number>;
}

// ---- front end -> kernel ----------------------------------------------------------------------
// Our own request/response over custom messages (see kernel.ts for why not anywidget's invoke).

export interface CancelRequest {
  type: "cancel";
}

export interface ResyncRequest {
  type: "resync";
}

export interface RowRequest {
  type: "row";
  req: string;
  index: number;
}

export interface EventsRequest {
  type: "events";
  req: string;
  modes: string[] | null;
  offset: number;
  limit: number;
}

export interface EventRequest {
  type: "event";
  req: string;
  seq: number;
}

// answers keyed by interrupt id ("" for an interrupt without one): the resume value of each
export interface ResumeRequest {
  type: "resume";
  req: string;
  answers: Record<string, unknown>;
}

// values: only the top-level keys the user changed, null for none
export interface ForkRequest {
  type: "fork";
  req: string;
  index: number;
  values: Record<string, unknown> | null;
}

export interface ReplayRequest {
  type: "replay";
  req: string;
  index: number;
}

// subscribe to a namespace subtree left out on the server (`run.open`)
export interface OpenRequest {
  type: "open";
  req: string;
  namespace: string;
}

// prettier-ignore
export type Request = CancelRequest | ResyncRequest | RowRequest | EventsRequest | EventRequest | ResumeRequest | ForkRequest | ReplayRequest | OpenRequest;

// ---- kernel -> front end answers ------------------------------------------------------------

export interface StateChange {
  key: string;
  kind: "added" | "removed" | "changed";
  before: unknown;
  after: unknown;
}

// the Python lines that fork / replay from a row, or the sentence saying why it cannot be done
export interface RowActions {
  fork: string | null;
  replay: string | null;
  refused: string | null;
}

export interface RowDetail {
  index: number;
  previous: number | null;
  row: TimelineRow;
  update: Record<string, unknown>;
  state: Record<string, unknown>;
  approximate: boolean;
  diff: StateChange[];
  checkpoint_id: string | null;
  checkpoint_ns: string;
  actions: RowActions;
}

// the subtree's subscription has started; its events join the run as they come
export interface Opened {
  ok: true;
}

export interface EventsPage {
  total: number;
  offset: number;
  rows: EventRow[];
}

export interface EventDetail extends EventRow {
  id: string | null;
  data: unknown;
}

// a resume / fork / replay started the next run on the thread; the view continues with it
export interface Continued {
  ok: true;
  run_id: string | null;
}

export interface RequestError {
  error: string;
}

export interface ResponseEnvelope {
  type: "response";
  req: string;
}

export type Answer = RowDetail | EventsPage | EventDetail | Continued | Opened | RequestError;

export type Response = ResponseEnvelope & Answer;

// ---- a run embedded in a standalone HTML file (view/export.py; answered by local.ts) ---------

// what a message's token events share: chunk = keys zipped with values, content replaced
export interface EmbeddedFrame {
  keys: string[];
  values: unknown[];
  metadata: unknown;
}

// one array per event: [time - started_at, mode, namespace, node, preview, id, data, frame]
// (mode/namespace/node index the lists; preview null: the token's content; frame >= 0: a token
// event whose data is its content)
export type EmbeddedEventRow = [
  number,
  number,
  number,
  number,
  string | null,
  string | null,
  unknown,
  number,
];

export interface EmbeddedEvents {
  started_at: number;
  modes: string[];
  namespaces: string[];
  nodes: (string | null)[];
  frames: EmbeddedFrame[];
  rows: EmbeddedEventRow[];
}

export interface EmbeddedRun {
  format: "lg_widgets.html/1";
  snapshot: Snapshot;
  // the answer to a RowRequest, per timeline row
  row_details: (RowDetail | RequestError)[];
  events: EmbeddedEvents;
}
