import { afterEach, beforeEach, describe, expect, it } from "vitest";
import widget from "../src/index";
import type { Row } from "../src/types";
import { delta, FakeModel, header, snapshot, tick } from "./fixtures";

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

const row = (i: number, over: Partial<Row> = {}): Row => ({
  i,
  seq: i,
  t: 1000 + i,
  mode: "updates",
  ns: "",
  node: `node_${i}`,
  step: i,
  changed: ["topic"],
  preview: `topic='t${i}'`,
  ...over,
});

describe("RunView front end", () => {
  it("streams tokens into a message's text without re-rendering it", () => {
    const model = new FakeModel(snapshot());
    mount(model);
    model.custom(
      delta(1, {
        messages: [{ id: "m1", ns: "", node: "write_joke", tags: ["joke"], complete: false }],
        tokens: { m1: "Why " },
      }),
    );
    model.custom(delta(2, { tokens: { m1: "did" } }));
    const text = el.querySelector('[data-testid="message"] pre');
    expect(text?.textContent).toBe("Why did");
    expect(text?.childNodes).toHaveLength(1); // one chunk, appended to in place
  });

  it("splits a long message into block chunks at newlines or word boundaries", () => {
    const model = new FakeModel(snapshot());
    mount(model);
    model.custom(
      delta(1, {
        messages: [{ id: "m1", ns: "", node: "n", tags: [], complete: false }],
        tokens: { m1: "x".repeat(5000) },
      }),
    );
    model.custom(delta(2, { tokens: { m1: "tail" } })); // no boundary: same chunk
    model.custom(delta(3, { tokens: { m1: " next" } })); // a word boundary: new chunk
    model.custom(delta(4, { tokens: { m1: "y".repeat(5000) } }));
    model.custom(delta(5, { tokens: { m1: "line\nafter" } })); // split after the newline
    const pre = el.querySelector('[data-testid="message"] pre');
    const chunks = [...(pre?.children ?? [])].map((c) => c.textContent);
    expect(chunks).toEqual([`${"x".repeat(5000)}tail`, ` next${"y".repeat(5000)}line\n`, "after"]);
    expect(pre?.textContent).toBe(`${"x".repeat(5000)}tail next${"y".repeat(5000)}line\nafter`);
  });

  it("renders untrusted content as text everywhere", async () => {
    const model = new FakeModel(
      snapshot({
        header: header({ status: "error", error: EVIL, interrupts: [{ value: EVIL }] }),
        messages: [{ id: "m1", ns: "", node: EVIL, tags: [EVIL], complete: true, text: EVIL }],
        rows: [row(0, { node: EVIL, preview: EVIL, changed: [EVIL] })],
        tree: {
          namespace: "",
          name: EVIL,
          task_id: null,
          status: "running",
          events: 1,
          nodes: { [EVIL]: 1 },
          started: 0,
          ended: 1,
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
    model.custom(delta(3, { tokens: { m1: "late" } }));
    expect(model.sent).toContainEqual({ type: "resync" });
    model.setSnapshot(
      snapshot({
        seq: 3,
        messages: [{ id: "m1", ns: "", node: "n", tags: [], complete: false, text: "all of it" }],
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

  it("pages the event log from the kernel and opens a payload as JSON", async () => {
    const model = new FakeModel(snapshot({ counts: { custom: 1 } }));
    mount(model);
    el.querySelector<HTMLElement>('[data-testid="tab-events"]')?.click();
    const page = model.sent.find((m) => m.type === "events");
    expect(page).toMatchObject({ type: "events", modes: [], offset: -100, limit: 100 });
    const row = { seq: 7, t: 1001, mode: "custom", ns: "", node: null, preview: EVIL };
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
  });

  it("filters tokens by the namespace selected in the tree", () => {
    const tree = {
      namespace: "",
      name: "chat",
      task_id: null,
      status: "running",
      events: 3,
      nodes: { review: 1 },
      started: 0,
      ended: 1,
      children: [
        {
          namespace: "review:1",
          name: "review",
          task_id: "1",
          status: "running",
          events: 2,
          nodes: { critic: 1 },
          started: 0,
          ended: 1,
          children: [],
        },
      ],
    };
    const model = new FakeModel(
      snapshot({
        tree,
        messages: [
          { id: "a", ns: "", node: "write_joke", tags: [], complete: true, text: "joke" },
          { id: "b", ns: "review:1", node: "critic", tags: [], complete: true, text: "review" },
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
    const groups = [...el.querySelectorAll<HTMLElement>('[data-testid="token-group"]')];
    expect(groups.map((g) => g.hidden)).toEqual([true, false]);
  });

  it("groups messages per namespace and node as they stream in", () => {
    const model = new FakeModel(snapshot());
    mount(model);
    const info = (id: string, node: string) => ({ id, ns: "", node, tags: [], complete: false });
    model.custom(
      delta(1, { messages: [info("j1", "joke"), info("p1", "poem")], tokens: { j1: "a", p1: "b" } }),
    );
    model.custom(delta(2, { messages: [info("j2", "joke")], tokens: { j2: "c", p1: "d" } }));
    const groups = [...el.querySelectorAll<HTMLElement>('[data-testid="token-group"]')];
    expect(groups.map((g) => [...g.querySelectorAll("pre")].map((p) => p.textContent))).toEqual([
      ["a", "c"],
      ["bd"],
    ]);
  });
});
