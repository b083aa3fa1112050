import { afterEach, beforeEach, describe, expect, it } from "vitest";
import widget from "../src/index";
import type { TimelineRow, TreeNode, TreeStatus } from "../src/types";
import {
  delta,
  FakeModel,
  header,
  message,
  setContentHeight,
  sized,
  snapshot,
  tick,
  userScroll,
} from "./fixtures";

const EVIL = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';

let el: HTMLElement;
let dispose: () => void;
const mount = (model: FakeModel) => {
  dispose = widget.render({ model: model as never, el });
};

beforeEach(() => {
  el = document.createElement("div");
  document.body.appendChild(el);
  (window as unknown as { __pwned?: number }).__pwned = undefined;
});
afterEach(() => {
  dispose?.();
  el.remove();
});

const row = (i: number, over: Partial<TimelineRow> = {}): TimelineRow => ({
  index: i,
  seq: i,
  time: 1000 + i,
  mode: "updates",
  namespace: "",
  node: `node_${i}`,
  step: i,
  changed: ["topic"],
  preview: `topic='t${i}'`,
  checkpoint_id: null,
  ...over,
});

describe("RunView front end", () => {
  it("streams tokens into a message's text without re-rendering it", () => {
    const model = new FakeModel(snapshot());
    mount(model);
    model.custom(
      delta(1, {
        messages: [message({ id: "m1", namespace: "", node: "write_joke", tags: ["joke"], complete: false })],
        text: { m1: "Why " },
      }),
    );
    model.custom(delta(2, { text: { m1: "did" } }));
    const text = el.querySelector('[data-testid="message"] pre');
    expect(text?.textContent).toBe("Why did");
    expect(text?.childNodes).toHaveLength(1); // one chunk, appended to in place
  });

  it("splits a long message into block chunks at newlines or word boundaries", () => {
    const model = new FakeModel(snapshot());
    mount(model);
    model.custom(
      delta(1, {
        messages: [message({ id: "m1", namespace: "", node: "n", tags: [], complete: false })],
        text: { m1: "x".repeat(5000) },
      }),
    );
    model.custom(delta(2, { text: { m1: "tail" } })); // no boundary: same chunk
    model.custom(delta(3, { text: { m1: " next" } })); // a word boundary: new chunk
    model.custom(delta(4, { text: { m1: "y".repeat(5000) } }));
    model.custom(delta(5, { text: { m1: "line\nafter" } })); // split after the newline
    const pre = el.querySelector('[data-testid="message"] pre');
    const chunks = [...(pre?.children ?? [])].map((c) => c.textContent);
    expect(chunks).toEqual([`${"x".repeat(5000)}tail`, ` next${"y".repeat(5000)}line\n`, "after"]);
    expect(pre?.textContent).toBe(`${"x".repeat(5000)}tail next${"y".repeat(5000)}line\nafter`);
  });

  it("renders untrusted content as text everywhere", async () => {
    const model = new FakeModel(
      snapshot({
        header: header({
          status: "error",
          error: EVIL,
          interrupts: [{ id: EVIL, kind: "value", value: EVIL, namespace: [EVIL], actions: [] }],
        }),
        messages: [
          message({ id: "m1", namespace: "", node: EVIL, tags: [EVIL], complete: true, text: EVIL }),
        ],
        rows: [row(0, { node: EVIL, preview: EVIL, changed: [EVIL] })],
        tree: {
          namespace: "",
          name: EVIL,
          agent: "agent",
          cause: "node" as const,
          tool_call_id: null,
          handoff: null,
          tokens: 0,
          task_id: null,
          left_out: false,
          status: "running",
          events: 1,
          nodes: { [EVIL]: 1 },
          first_time: 0,
          last_time: 1,
          children: [],
        },
        counts: { [EVIL]: 1 },
      }),
    );
    mount(model);
    await tick();
    expect(el.querySelector("img")).toBeNull();
    expect(el.querySelector("script")).toBeNull();
    expect(el.querySelector('[data-testid="message"] pre')?.textContent).toBe(EVIL);
    expect(el.querySelector('[data-testid="error"]')?.textContent).toBe(EVIL);
    expect(el.textContent).toContain(EVIL);
    expect((window as unknown as { __pwned?: number }).__pwned).toBeUndefined();
  });

  it("asks for a resync when it missed deltas, and heals from the next snapshot", () => {
    const model = new FakeModel(snapshot());
    mount(model);
    model.custom(delta(3, { text: { m1: "late" } }));
    expect(model.sent).toContainEqual({ type: "resync" });
    model.setSnapshot(
      snapshot({
        seq: 3,
        messages: [
          message({ id: "m1", namespace: "", node: "n", tags: [], complete: false, text: "all of it" }),
        ],
      }),
    );
    expect(el.querySelector('[data-testid="message"] pre')?.textContent).toBe("all of it");
  });

  it("virtualizes the timeline: 10,000 rows, a few dozen in the DOM", async () => {
    const rows = Array.from({ length: 10_000 }, (_, i) => row(i));
    const model = new FakeModel(snapshot({ rows, header: header({ stream_mode: ["updates"] }) }));
    mount(model);
    await tick();
    const rendered = el.querySelectorAll('[data-testid="timeline-row"]');
    expect(rendered.length).toBeGreaterThan(0);
    expect(rendered.length).toBeLessThan(100);
    expect(el.querySelector('[data-testid="timeline-count"]')?.textContent).toBe("10000 rows");
  });

  it("fetches a row's state on click and shows the diff", async () => {
    const model = new FakeModel(
      snapshot({ rows: [row(0), row(1)], header: header({ stream_mode: ["updates"] }) }),
    );
    mount(model);
    await tick();
    const rows = el.querySelectorAll<HTMLElement>('[data-testid="timeline-row"]');
    rows[1].click();
    const request = model.sent.find((m) => m.type === "row");
    expect(request).toMatchObject({ type: "row", index: 1 });
    model.custom({
      type: "response",
      req: request?.req,
      index: 1,
      previous: 0,
      update: { topic: EVIL },
      state: { topic: EVIL },
      approximate: true,
      diff: [{ key: "topic", kind: "changed", before: "a", after: EVIL }],
    });
    await tick(0);
    const detail = el.querySelector('[data-testid="row-detail"]');
    expect(detail?.textContent).toContain("topic (changed)");
    expect(detail?.textContent).toContain(JSON.stringify(EVIL));
    expect(detail?.querySelector("img")).toBeNull();
  });

  it("shows kernel warnings and its own failures under the status line", () => {
    const model = new FakeModel(
      snapshot({ header: header({ warnings: ["Cancelling on the server failed: boom"] }) }),
    );
    mount(model);
    model.custom({ type: "delta", seq: 1, messages: 5 });
    const text = el.querySelector('[data-testid="warnings"]')?.textContent ?? "";
    expect(text).toContain("Cancelling on the server failed: boom");
    expect(text).toContain("applying an update failed");
  });

  it("shows a reconnect with its attempt, then the status it ends with", () => {
    const model = new FakeModel(snapshot({ header: header({ status: "running" }) }));
    mount(model);
    const badge = () => el.querySelector<HTMLElement>('[data-testid="status"]');
    model.custom(delta(1, { header: header({ status: "reconnecting", reconnect_attempt: 3 }) }));
    expect(badge()?.textContent).toBe("reconnecting (attempt 3)");
    expect(badge()?.dataset.status).toBe("reconnecting");
    expect(el.querySelector<HTMLElement>('[data-testid="cancel"]')?.hidden).toBe(false);
    const count = () => el.querySelector<HTMLElement>('[data-testid="reconnects"]');
    expect(count()?.hidden).toBe(true);
    model.custom(delta(2, { header: header({ status: "running", reconnects: 1 }) }));
    expect(badge()?.textContent).toBe("running");
    expect(count()?.hidden).toBe(false);
    expect(count()?.textContent).toBe("reconnected ×1");
  });

  it("pages the event log from the kernel and opens a payload as JSON", async () => {
    const model = new FakeModel(snapshot({ counts: { custom: 1 } }));
    mount(model);
    el.querySelector<HTMLElement>('[data-testid="tab-events"]')?.click();
    const page = model.sent.find((m) => m.type === "events");
    expect(page).toMatchObject({ type: "events", modes: [], offset: -100, limit: 100 });
    const row = { seq: 7, time: 1001, mode: "custom", namespace: "", node: null, preview: EVIL };
    model.custom({ type: "response", req: page?.req, total: 1, offset: 0, rows: [row] });
    await tick(0);
    const event = el.querySelector<HTMLDetailsElement>('[data-testid="event"]');
    expect(event?.textContent).toContain(EVIL);
    event!.open = true;
    event!.dispatchEvent(new Event("toggle"));
    const detail = model.sent.find((m) => m.type === "event");
    expect(detail).toMatchObject({ type: "event", seq: 7 });
    model.custom({ type: "response", req: detail?.req, data: { html: EVIL } });
    await tick(0);
    expect(event?.textContent).toContain(JSON.stringify(EVIL));
    expect(el.querySelector("img")).toBeNull();
  });

  it("sends cancel from the header button", () => {
    const model = new FakeModel(snapshot());
    mount(model);
    el.querySelector<HTMLButtonElement>('[data-testid="cancel"]')?.click();
    expect(model.sent).toContainEqual({ type: "cancel" });
    expect(el.querySelector<HTMLElement>('[data-testid="cancel-note"]')?.hidden).toBe(true);
  });

  it("says at once why Cancel cannot act while the kernel holds clicks, and sends nothing", () => {
    const model = new FakeModel(snapshot());
    model.traits.cancel_note = "A cell is awaiting this run";
    mount(model);
    el.querySelector<HTMLButtonElement>('[data-testid="cancel"]')?.click();
    const note = el.querySelector<HTMLElement>('[data-testid="cancel-note"]');
    expect(note?.hidden).toBe(false);
    expect(note?.textContent).toBe("A cell is awaiting this run");
    expect(model.sent).not.toContainEqual({ type: "cancel" });
  });

  it("filters tokens by the namespace selected in the tree", () => {
    const tree: TreeNode = {
      namespace: "",
      name: "chat",
      agent: "agent",
      cause: "node" as const,
      tool_call_id: null,
      handoff: null,
      tokens: 0,
      task_id: null,
      left_out: false,
      status: "running",
      events: 3,
      nodes: { review: 1 },
      first_time: 0,
      last_time: 1,
      children: [
        {
          namespace: "review:1",
          name: "review",
          agent: "agent",
          cause: "node" as const,
          tool_call_id: null,
          handoff: null,
          tokens: 0,
          task_id: "1",
          left_out: false,
          status: "running",
          events: 2,
          nodes: { critic: 1 },
          first_time: 0,
          last_time: 1,
          children: [],
        },
      ],
    };
    const model = new FakeModel(
      snapshot({
        tree,
        messages: [
          message({ id: "a", namespace: "", node: "write_joke", tags: [], complete: true, text: "joke" }),
          message({
            id: "b",
            namespace: "review:1",
            node: "critic",
            tags: [],
            complete: true,
            text: "review",
          }),
        ],
      }),
    );
    mount(model);
    const sub = [...el.querySelectorAll<HTMLElement>('[data-testid="tree-namespace"]')].find(
      (b) => b.dataset.namespace === "review:1",
    );
    sub?.click();
    const visible = [...el.querySelectorAll<HTMLElement>('[data-testid="message"]')].filter((m) => !m.hidden);
    expect(visible.map((m) => m.dataset.node)).toEqual(["critic"]);
  });

  it("shows messages in the order they began, each with its role, namespace and node", () => {
    const model = new FakeModel(snapshot());
    mount(model);
    const info = (id: string, node: string) => message({ id, node });
    model.custom(
      delta(1, { messages: [info("j1", "joke"), info("p1", "poem")], text: { j1: "a", p1: "b" } }),
    );
    model.custom(delta(2, { messages: [info("j2", "joke")], text: { j2: "c", p1: "d" } }));
    const blocks = [...el.querySelectorAll<HTMLElement>('[data-testid="message"]')];
    expect(blocks.map((b) => b.querySelector("pre")?.textContent)).toEqual(["a", "bd", "c"]);
    expect(blocks.map((b) => b.querySelector(".lgw-msg-meta")?.textContent)).toEqual([
      "airoot · joke",
      "airoot · poem",
      "airoot · joke",
    ]);
  });

  it("applies a snapshot, then a delta, in the wire's field names", async () => {
    const tree = (events: number, last_time: number, status: TreeStatus): TreeNode => ({
      namespace: "",
      name: "chat",
      agent: "agent",
      cause: "node" as const,
      tool_call_id: null,
      handoff: null,
      tokens: 0,
      task_id: null,
      left_out: false,
      status,
      events,
      nodes: { write: 1 },
      first_time: 1000,
      last_time,
      children: [
        {
          namespace: "review:abc",
          name: "review",
          agent: "agent",
          cause: "node" as const,
          tool_call_id: null,
          handoff: null,
          tokens: 0,
          task_id: "abc",
          left_out: false,
          status: "success",
          events: 1,
          nodes: { critic: 1 },
          first_time: 1000.5,
          last_time: 1001,
          children: [],
        },
      ],
    });
    const critic = message({ id: "m1", namespace: "review:abc", node: "critic", tags: [] });
    const model = new FakeModel(
      snapshot({
        seq: 4,
        messages: [message({ ...critic, complete: false, text: "Good " })],
        rows: [row(0, { namespace: "review:abc", node: "critic", time: 1000.5 })],
        tree: tree(2, 1001, "running"),
        counts: { updates: 1, messages: 1 },
        events_tail: [
          { seq: 0, time: 1000.5, mode: "updates", namespace: "review:abc", node: "critic", preview: "k=1" },
        ],
      }),
    );
    mount(model);
    model.custom(
      delta(5, {
        header: header({ status: "success", ended_at: 1003, live: false }),
        messages: [message({ ...critic, complete: true })],
        text: { m1: "joke" },
        rows: [row(1, { time: 1002.25 })],
        tree: tree(3, 1002, "success"),
        counts: { updates: 2, messages: 1 },
      }),
    );
    expect(model.sent).toEqual([]); // in order: no resync
    const block = el.querySelector<HTMLElement>('[data-testid="message"]');
    expect(block?.querySelector("pre")?.textContent).toBe("Good joke");
    expect(block?.dataset.complete).toBe("true");
    expect(block?.querySelector(".lgw-msg-meta")?.textContent).toContain("review · critic");
    expect(el.querySelector('[data-testid="status"]')?.textContent).toBe("success");
    expect(el.querySelector('[data-testid="counts"]')?.textContent).toBe("3 events (updates 2, messages 1)");
    expect(el.querySelector('[data-testid="elapsed"]')?.textContent).toBe("3.0 s");
    const [root, sub] = el.querySelectorAll<HTMLElement>('[data-testid="tree-namespace"]');
    // the agent's name, its node's beside it, and events here and below
    expect(root.textContent).toBe("agent chat success · 4 ev · 2.0 s");
    expect(root.querySelector<HTMLElement>(".lgw-dot")?.dataset.status).toBe("success");
    expect(sub.textContent).toBe("agent review success · 1 ev · 0.5 s");

    el.querySelector<HTMLElement>('[data-testid="tab-timeline"]')?.click();
    await tick();
    const rows = [...el.querySelectorAll<HTMLElement>('[data-testid="timeline-row"]')];
    expect(rows.map((r) => r.dataset.index)).toEqual(["0", "1"]);
    expect(rows[0].querySelector(".lgw-c-namespace")?.textContent).toBe("review");
    expect(rows[1].querySelector(".lgw-c-time")?.textContent).toBe("+2.2500 s");

    el.querySelector<HTMLElement>('[data-testid="tab-events"]')?.click();
    // the saved tail shows while the kernel's page is on its way
    expect(el.querySelector('[data-testid="events-where"]')?.textContent).toBe("loading from the kernel…");
    const event = el.querySelector('[data-testid="event"]')?.textContent ?? "";
    expect(event).toContain("review");
    expect(event).toContain("k=1");
  });

  it("tokens and timeline follow the end until the user scrolls up", async () => {
    const info = message({ id: "m1", namespace: "", node: "n", tags: [], complete: false, text: "a" });
    const model = new FakeModel(snapshot({ messages: [info], rows: [row(0)] }));
    mount(model);
    const tokens = sized(el.querySelector<HTMLElement>(".lgw-messages .lgw-scroll")!, 1000);
    model.custom(delta(1, { text: { m1: "b" } }));
    expect(tokens.scrollTop).toBe(1000);
    userScroll(tokens, 200);
    setContentHeight(tokens, 2000);
    model.custom(delta(2, { text: { m1: "c" } }));
    expect(tokens.scrollTop).toBe(200);

    el.querySelector<HTMLElement>('[data-testid="tab-timeline"]')?.click();
    const timeline = sized(el.querySelector<HTMLElement>(".lgw-tscroll")!, 1000);
    model.custom(delta(3, { rows: [row(1)] }));
    expect(timeline.scrollTop).toBe(1000);
    userScroll(timeline, 100);
    setContentHeight(timeline, 3000);
    model.custom(delta(4, { rows: [row(2)] }));
    expect(timeline.scrollTop).toBe(100);
    userScroll(timeline, 2900); // back at the end: following again
    model.custom(delta(5, { rows: [row(3)] }));
    expect(timeline.scrollTop).toBe(3000);
    expect(tokens.scrollTop).toBe(200); // each panel follows on its own
  });
});
