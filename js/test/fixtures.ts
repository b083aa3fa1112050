import type { Delta, Header, Snapshot } from "../src/types";

export const header = (over: Partial<Header> = {}): Header => ({
  assistant_id: "chat",
  thread_id: "thread-1234567890",
  run_id: "run-abcdefghij",
  status: "running",
  error: null,
  interrupts: [],
  started_at: 1000,
  ended_at: null,
  stream_mode: ["messages-tuple", "updates"],
  live: true,
  ...over,
});

export const snapshot = (over: Partial<Snapshot> = {}): Snapshot => ({
  seq: 0,
  header: header(),
  messages: [],
  rows: [],
  tree: {},
  counts: {},
  events_tail: [],
  ...over,
});

export const delta = (seq: number, over: Partial<Delta> = {}): Delta => ({ type: "delta", seq, ...over });

type Callback = (...args: any[]) => void;

/** Stands in for anywidget's model: a snapshot trait, custom messages both ways. */
export class FakeModel {
  sent: Array<Record<string, unknown>> = [];
  private handlers = new Map<string, Callback[]>();
  constructor(public current: Snapshot) {}
  get(_name: "snapshot"): Snapshot {
    return this.current;
  }
  send(content: Record<string, unknown>): void {
    this.sent.push(content);
  }
  on(event: string, cb: Callback): void {
    this.handlers.set(event, [...(this.handlers.get(event) ?? []), cb]);
  }
  off(event: string, cb: Callback): void {
    this.handlers.set(
      event,
      (this.handlers.get(event) ?? []).filter((h) => h !== cb),
    );
  }
  custom(msg: unknown): void {
    for (const cb of this.handlers.get("msg:custom") ?? []) cb(msg);
  }
  setSnapshot(s: Snapshot): void {
    this.current = s;
    for (const cb of this.handlers.get("change:snapshot") ?? []) cb();
  }
}

export const tick = (ms = 40) => new Promise((resolve) => setTimeout(resolve, ms));
