// The wire format between lg_widgets.widget (Python) and this front end.

export interface Header {
  assistant_id: string | null;
  thread_id: string | null;
  run_id: string | null;
  status: string;
  error: string | null;
  interrupts: unknown[];
  started_at: number;
  ended_at: number | null;
  stream_mode: string[];
  live: boolean;
  warnings?: string[];
}

export interface MessageInfo {
  id: string;
  ns: string;
  node: string | null;
  tags: string[];
  complete: boolean;
  text?: string; // only in snapshots
}

export interface Row {
  i: number;
  seq: number;
  t: number;
  mode: string;
  ns: string;
  node: string | null;
  step: number | null;
  changed: string[];
  preview: string;
}

export interface TreeNode {
  namespace: string;
  name: string;
  task_id: string | null;
  status: string;
  events: number;
  nodes: Record<string, number>;
  started: number;
  ended: number;
  children: TreeNode[];
}

export interface EventRow {
  seq: number;
  t: number;
  mode: string;
  ns: string;
  node: string | null;
  preview: string;
}

export interface Snapshot {
  seq: number;
  header: Header;
  messages: MessageInfo[];
  rows: Row[];
  tree: TreeNode | Record<string, never>;
  counts: Record<string, number>;
  events_tail: EventRow[];
}

export interface Delta {
  type: "delta";
  seq: number;
  header?: Header;
  messages?: MessageInfo[];
  tokens?: Record<string, string>;
  rows?: Row[];
  tree?: TreeNode | Record<string, never>;
  counts?: Record<string, number>;
}

export interface Response {
  type: "response";
  req: string;
  [key: string]: unknown;
}
