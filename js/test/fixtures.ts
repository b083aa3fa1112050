import { zlibSync } from "fflate";
import type { Delta, Header, MessageInfo, Snapshot } from "../src/types";

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
  warnings: [],
  reconnect_attempt: null,
  reconnects: 0,
  runs: [],
  ...over,
});

/** A message's info; an AI message that began at t=1000 unless told otherwise; its wire key is
 * its id unless told otherwise (deltas in the tests name messages by id). */
export const message = (over: Partial<MessageInfo> & { id: string }): MessageInfo => ({
  key: over.id,
  namespace: "",
  node: null,
  tags: [],
  complete: false,
  role: "ai",
  name: null,
  tool_call_id: null,
  status: null,
  usage: null,
  tool_calls: [],
  first_time: 1000,
  input: false,
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
  graph: null,
  graph_activity: [],
  ...over,
});

export const delta = (seq: number, over: Partial<Delta> = {}): Delta => ({ type: "delta", seq, ...over });

type Callback = (...args: any[]) => void;

/** Stands in for anywidget's model: the snapshot trait as the widget manager hands it over (a
 * DataView of zlib-compressed JSON), custom messages both ways. */
export class FakeModel {
  sent: Array<Record<string, unknown>> = [];
  /** The other traits by name (`cancel_note`); absent ones read as undefined. */
  traits: Record<string, unknown> = {};
  private handlers = new Map<string, Callback[]>();
  constructor(public current: Snapshot) {}
  get(name: string): unknown {
    if (name !== "snapshot_zlib") return this.traits[name];
    const packed = zlibSync(new TextEncoder().encode(JSON.stringify(this.current)));
    return new DataView(packed.buffer, packed.byteOffset, packed.byteLength);
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
    for (const cb of this.handlers.get("change:snapshot_zlib") ?? []) cb();
  }
}

export const tick = (ms = 40) => new Promise((resolve) => setTimeout(resolve, ms));

/** A scroller with a fixed viewport; happy-dom does no layout, so sizes are set by hand. */
export const scroller = (contentHeight = 1000, viewHeight = 100): HTMLElement => {
  const el = document.createElement("div");
  document.body.appendChild(el);
  return sized(el, contentHeight, viewHeight);
};
/** Give an existing scroller (e.g. a panel's) a viewport and a content height. */
export const sized = (el: HTMLElement, contentHeight: number, viewHeight = 100): HTMLElement => {
  setContentHeight(el, contentHeight);
  Object.defineProperty(el, "clientHeight", { configurable: true, value: viewHeight });
  return el;
};
export const setContentHeight = (el: HTMLElement, height: number): void => {
  Object.defineProperty(el, "scrollHeight", { configurable: true, value: height });
};
/** What a user's scroll does: move, then the browser fires "scroll". */
export const userScroll = (el: HTMLElement, top: number): void => {
  el.scrollTop = top;
  el.dispatchEvent(new Event("scroll"));
};
