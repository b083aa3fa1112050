// Answering interrupts in the view, the thread's runs in the header, and time travel from a
// timeline row: the exact requests the kernel gets, what is refused before sending, and that
// everything the server sent stays text.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { shortId } from "../src/dom";
import widget, { renderStatic } from "../src/index";
import type { EmbeddedRun, InterruptInfo, RowDetail, Snapshot, TimelineRow } from "../src/types";
import { FakeModel, header, snapshot, tick } from "./fixtures";

const EVIL = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';

let el: HTMLElement;
let dispose: () => void;
let model: FakeModel;
const mount = (s: Snapshot) => {
  model = new FakeModel(s);
  dispose = widget.render({ model: model as never, el });
};
const interrupted = (interrupts: InterruptInfo[]) =>
  snapshot({ header: header({ status: "interrupted", ended_at: 1002, interrupts }) });

beforeEach(() => {
  el = document.createElement("div");
  document.body.appendChild(el);
  (window as unknown as { __pwned?: number }).__pwned = undefined;
});
afterEach(() => {
  dispose?.();
  el.remove();
});

const $ = <T extends HTMLElement = HTMLElement>(testid: string, root: ParentNode = el): T =>
  root.querySelector<T>(`[data-testid="${testid}"]`) as T;
const $$ = <T extends HTMLElement = HTMLElement>(testid: string, root: ParentNode = el): T[] =>
  Array.from(root.querySelectorAll<T>(`[data-testid="${testid}"]`));
const type = (field: HTMLTextAreaElement | HTMLInputElement, text: string) => {
  field.value = text;
  field.dispatchEvent(new Event("input"));
};
const requests = (kind: string) => model.sent.filter((m) => m.type === kind);
/** Answer the last request of a kind as the kernel would. */
const answer = async (kind: string, body: Record<string, unknown>) => {
  const sent = requests(kind);
  const request = sent[sent.length - 1];
  model.custom({ type: "response", req: request?.req, ...body });
  await tick(0);
};

const hitl = (over: Partial<InterruptInfo> = {}): InterruptInfo => ({
  id: "int-1",
  kind: "hitl",
  value: { action_requests: [] },
  namespace: [],
  actions: [
    {
      name: "send_email",
      args: { to: "alice@example.com", body: "hi" },
      description: "Send an email",
      allowed: ["approve", "edit", "reject", "respond"],
    },
    { name: "delete_file", args: { path: "/tmp/x" }, description: null, allowed: ["approve", "reject"] },
  ],
  ...over,
});

describe("the interrupt panel", () => {
  it("sends one decision per action, in order, in the middleware's format", async () => {
    mount(interrupted([hitl()]));
    const [email, remove] = $$("interrupt-action");
    $("decide-edit", email).click();
    type($("edit-args", email), '{"to": "bob@example.com", "body": "hello"}');
    $("decide-reject", remove).click();
    type($("reject-message", remove), "  keep it  ");
    $("send-resume").click();
    expect(requests("resume")).toEqual([
      {
        type: "resume",
        req: expect.any(String),
        answers: {
          "int-1": {
            decisions: [
              {
                type: "edit",
                edited_action: { name: "send_email", args: { to: "bob@example.com", body: "hello" } },
              },
              { type: "reject", message: "keep it" },
            ],
          },
        },
      },
    ]);
  });

  it("shows the run.resume line of the answer once every action has a valid decision", () => {
    mount(interrupted([hitl()]));
    const [email, remove] = $$("interrupt-action");
    const line = () => $("python-resume");
    expect(line().parentElement?.parentElement?.hidden).toBe(true);
    $("decide-edit", email).click();
    type($("edit-args", email), '{"to": "bob@');
    $("decide-approve", remove).click();
    expect(line().textContent).toBe(""); // invalid JSON: no line, and no error marked yet
    expect($("edit-error", email).hidden).toBe(true);
    type($("edit-args", email), '{"to": "bob@example.com", "ok": true}');
    expect(line().parentElement?.parentElement?.hidden).toBe(false);
    expect(line().textContent).toBe(
      'run.resume({"int-1": {"decisions": [{"type": "edit", "edited_action": {"name": "send_email", ' +
        '"args": {"to": "bob@example.com", "ok": True}}}, {"type": "approve"}]}})',
    );
    expect(requests("resume")).toEqual([]);
  });

  it("sends approve, a reject without a message, and respond as their own decisions", () => {
    mount(interrupted([hitl()]));
    const [email, remove] = $$("interrupt-action");
    $("decide-respond", email).click();
    type($("respond-text", email), "Sent it myself.");
    $("decide-approve", remove).click();
    $("send-resume").click();
    $("decide-reject", remove).click();
    expect(requests("resume")[0].answers).toEqual({
      "int-1": { decisions: [{ type: "respond", message: "Sent it myself." }, { type: "approve" }] },
    });
  });

  it("offers only the allowed decisions, and a reject without a message is sent without one", () => {
    mount(interrupted([hitl()]));
    const remove = $$("interrupt-action")[1];
    expect($$("decide-edit", remove)).toHaveLength(0);
    expect($$("decide-respond", remove)).toHaveLength(0);
    $("decide-approve", $$("interrupt-action")[0]).click();
    $("decide-reject", remove).click();
    $("send-resume").click();
    expect(requests("resume")[0].answers).toEqual({
      "int-1": { decisions: [{ type: "approve" }, { type: "reject" }] },
    });
  });

  it("answers the Agent Inbox schema with its own response list", () => {
    const inbox = (id: string): InterruptInfo => ({
      id,
      kind: "inbox",
      value: [],
      namespace: ["agent:1"],
      actions: [
        {
          name: "search",
          args: { q: "cats" },
          description: null,
          allowed: ["approve", "edit", "reject", "respond"],
        },
      ],
    });
    mount(interrupted([inbox("a"), inbox("b"), inbox("c"), inbox("d")]));
    const [a, b, c, d] = $$("interrupt-action");
    $("decide-approve", a).click();
    $("decide-edit", b).click();
    type($("edit-args", b), '{"q": "dogs"}');
    $("decide-reject", c).click();
    expect($$("reject-message", c)).toHaveLength(0); // "ignore" carries no message
    $("decide-respond", d).click();
    type($("respond-text", d), "no need");
    $("send-resume").click();
    expect(requests("resume")[0].answers).toEqual({
      a: [{ type: "accept", args: null }],
      b: [{ type: "edit", args: { action: "search", args: { q: "dogs" } } }],
      c: [{ type: "ignore", args: null }],
      d: [{ type: "response", args: "no need" }],
    });
  });

  it("resumes several interrupts with one Send: JSON when it parses, else the text", () => {
    const value = (id: string | null): InterruptInfo => ({
      id,
      kind: "value",
      value: { question: "go on?" },
      namespace: [],
      actions: [],
    });
    mount(interrupted([value("x"), value(null), hitl()]));
    const [first, second] = $$<HTMLTextAreaElement>("resume-value");
    type(first, '{"ok": true, "n": [1, 2]}');
    type(second, "yes please");
    $("decide-approve", $$("interrupt-action")[0]).click();
    $("decide-approve", $$("interrupt-action")[1]).click();
    $("send-resume").click();
    expect(requests("resume")[0].answers).toEqual({
      x: { ok: true, n: [1, 2] },
      "": "yes please",
      "int-1": { decisions: [{ type: "approve" }, { type: "approve" }] },
    });
    expect($$("send-resume")).toHaveLength(1);
  });

  it("writes a lone interrupt without an id as the bare value in its Python line", () => {
    mount(interrupted([{ id: null, kind: "value", value: "go on?", namespace: [], actions: [] }]));
    type($<HTMLTextAreaElement>("resume-value"), "yes");
    expect($("python-resume").textContent).toBe('run.resume("yes")');
  });

  it("labels the button Resume when only plain values are asked for", () => {
    mount(interrupted([{ id: "v", kind: "value", value: "name?", namespace: [], actions: [] }]));
    expect($("send-resume").textContent).toBe("Resume");
    $("send-resume").click();
    expect(requests("resume")[0].answers).toEqual({ v: "" });
  });

  it("refuses invalid JSON in the edit field with a message under it, and sends nothing", () => {
    mount(interrupted([hitl()]));
    const [email, remove] = $$("interrupt-action");
    $("decide-edit", email).click();
    expect($<HTMLTextAreaElement>("edit-args", email).value).toBe(
      JSON.stringify({ to: "alice@example.com", body: "hi" }, null, 2),
    );
    type($("edit-args", email), '{"to": "bob@example.com",');
    $("decide-approve", remove).click();
    $("send-resume").click();
    expect(requests("resume")).toEqual([]);
    const error = $("edit-error", email);
    expect(error.hidden).toBe(false);
    expect(error.textContent).toMatch(/^Not valid JSON, nothing was sent/);
    expect($("resume-error").hidden).toBe(false);

    type($("edit-args", email), '["not", "an", "object"]');
    $("send-resume").click();
    expect(requests("resume")).toEqual([]);
    expect(error.textContent).toBe("The arguments must be a JSON object ({…}); nothing was sent.");

    type($("edit-args", email), '{"to": "bob@example.com"}');
    $("send-resume").click();
    expect(requests("resume")).toHaveLength(1);
  });

  it("sends nothing until every action has a decision (and a respond has text)", () => {
    mount(interrupted([hitl()]));
    const [email, remove] = $$("interrupt-action");
    $("decide-approve", email).click();
    $("send-resume").click();
    expect(requests("resume")).toEqual([]);
    expect($("decision-error", remove).textContent).toBe("Choose what to do with delete_file.");
    expect($("decision-error", email).hidden).toBe(true);
    $("decide-respond", email).click();
    $("decide-approve", remove).click();
    $("send-resume").click();
    expect(requests("resume")).toEqual([]);
    expect($("respond-error", email).hidden).toBe(false);
  });

  it("disables itself while waiting, and shows the kernel's sentence when it refuses", async () => {
    mount(interrupted([hitl()]));
    for (const action of $$("interrupt-action")) $("decide-approve", action).click();
    $("send-resume").click();
    const controls = () =>
      Array.from(
        el.querySelectorAll<HTMLButtonElement>(
          '[data-testid="interrupts"] button, [data-testid="interrupts"] textarea, [data-testid="interrupts"] input',
        ),
      );
    expect(controls().length).toBeGreaterThan(5);
    expect(controls().every((c) => c.disabled)).toBe(true);
    $("send-resume").click(); // disabled: a second click sends nothing more
    expect(requests("resume")).toHaveLength(1);
    await answer("resume", { error: EVIL });
    expect($("resume-error").textContent).toBe(EVIL);
    expect($("resume-error").hidden).toBe(false);
    expect(el.querySelector("img")).toBeNull();
    expect(controls().every((c) => !c.disabled)).toBe(true);
  });

  it("stays disabled after the kernel started the next run, until the view moves on", async () => {
    const first = interrupted([hitl()]);
    mount(first);
    for (const action of $$("interrupt-action")) $("decide-approve", action).click();
    $("send-resume").click();
    await answer("resume", { ok: true, run_id: "run-next-123456" });
    expect($<HTMLButtonElement>("send-resume").disabled).toBe(true);
    expect($("resume-status").textContent).toBe("continuing in run run-next");
    model.custom({ type: "delta", seq: 1, header: header({ status: "running", run_id: "run-next-123456" }) });
    expect($("interrupts").hidden).toBe(true);
    expect($$("interrupt")).toHaveLength(0);
  });

  it("keeps what the user typed when the header changes but the interrupts do not", () => {
    const s = interrupted([hitl()]);
    mount(s);
    const email = $$("interrupt-action")[0];
    $("decide-edit", email).click();
    type($("edit-args", email), '{"to": "x"}');
    model.custom({ type: "delta", seq: 1, header: { ...s.header, warnings: ["something"] } });
    expect($<HTMLTextAreaElement>("edit-args").value).toBe('{"to": "x"}');
  });

  it("shows a saved copy's interrupts without controls", () => {
    const saved: EmbeddedRun = {
      format: "lg_widgets.html/1",
      snapshot: interrupted([hitl(), { id: "v", kind: "value", value: "name?", namespace: [], actions: [] }]),
      row_details: [],
      events: { started_at: 1000, modes: [], namespaces: [], nodes: [], frames: [], rows: [] },
    };
    dispose = renderStatic(el, saved);
    expect($$("interrupt")).toHaveLength(2);
    expect($$("interrupt-action").map((a) => $("action-name", a).textContent)).toEqual([
      "send_email",
      "delete_file",
    ]);
    expect($("interrupts").textContent).toContain("alice@example.com");
    expect(
      el.querySelectorAll(
        '[data-testid="interrupts"] button, [data-testid="interrupts"] textarea, [data-testid="interrupts"] input',
      ),
    ).toHaveLength(0);
  });

  it("renders everything the server sent as text", () => {
    mount(
      interrupted([
        hitl({
          id: EVIL,
          namespace: [EVIL],
          actions: [{ name: EVIL, args: { [EVIL]: EVIL }, description: EVIL, allowed: ["edit"] }],
        }),
        { id: "v", kind: "value", value: { [EVIL]: EVIL }, namespace: [], actions: [] },
      ]),
    );
    expect(el.querySelector("img")).toBeNull();
    expect(el.querySelector("script")).toBeNull();
    expect($("action-name").textContent).toBe(EVIL);
    expect($("interrupts").textContent).toContain(EVIL);
    $("decide-edit").click();
    $("send-resume").click();
    expect(requests("resume")[0].answers).toEqual({
      v: "",
      [EVIL]: { decisions: [{ type: "edit", edited_action: { name: EVIL, args: { [EVIL]: EVIL } } }] },
    });
    expect((window as unknown as { __pwned?: number }).__pwned).toBeUndefined();
  });
});

describe("the header's thread runs", () => {
  it("lists the runs of the thread in order once there is more than one", () => {
    mount(
      snapshot({
        header: header({
          run_id: "run-a",
          runs: [{ run_id: "run-a", status: "running", origin: "stream", started_at: 1000 }],
        }),
      }),
    );
    expect($("runs").hidden).toBe(true);
    model.custom({
      type: "delta",
      seq: 1,
      header: header({
        run_id: "run-bbbbbbbbbb",
        runs: [
          { run_id: "run-aaaaaaaaaa", status: "interrupted", origin: "stream", started_at: 1000 },
          { run_id: "run-bbbbbbbbbb", status: "running", origin: EVIL, started_at: 1003 },
        ],
      }),
    });
    expect($("runs").hidden).toBe(false);
    const runs = $$("thread-run");
    expect(runs.map((r) => r.textContent)).toEqual([
      `1. stream run-aaaa interrupted`,
      `2. ${EVIL} run-bbbb running`,
    ]);
    expect(runs.map((r) => r.classList.contains("lgw-current"))).toEqual([false, true]);
    expect(el.querySelector("img")).toBeNull();
  });
});

const row = (i: number): TimelineRow => ({
  index: i,
  seq: i,
  time: 1000 + i,
  mode: "updates",
  namespace: "",
  node: `node_${i}`,
  step: i,
  changed: ["topic"],
  preview: "",
  checkpoint_id: `cp-${i}`,
});
const detail = (over: Partial<RowDetail> = {}): RowDetail => ({
  index: 1,
  previous: 0,
  row: row(1),
  update: { topic: "b" },
  state: { topic: "b", items: [1, 2] },
  approximate: false,
  diff: [],
  checkpoint_id: "cp-1",
  checkpoint_ns: "",
  actions: {
    fork: 'run.fork(checkpoint_id="cp-1")',
    replay: 'run.replay(checkpoint_id="cp-1")',
    refused: null,
  },
  ...over,
});

describe("the timeline of a chain of runs", () => {
  it("times rows from the start of the first run", async () => {
    const runs = [
      { run_id: "a", status: "success" as const, origin: "python", started_at: 1000 },
      { run_id: "b", status: "success" as const, origin: "fork", started_at: 1010 },
    ];
    mount(
      snapshot({
        rows: [row(0), { ...row(1), time: 1012.5 }],
        header: header({ status: "success", started_at: 1010, run_id: "b", runs, stream_mode: ["updates"] }),
      }),
    );
    await tick();
    const times = Array.from(el.querySelectorAll('[data-testid="timeline-row"] .lgw-c-time')).map(
      (t) => t.textContent,
    );
    expect(times).toEqual(["+0.0 ms", "+12.5000 s"]);
  });
});

describe("short ids", () => {
  it("show a UUID's random tail: time-ordered ids made together share their head", () => {
    expect(shortId("01a23559-1b2c-7d3e-8f40-a1b2c3d4e5f6")).toBe("c3d4e5f6");
    expect(shortId("01a23559-1b2c-7d3e-8f40-0000aaaa1111")).toBe("aaaa1111");
    expect(shortId("run-abcdefghij")).toBe("run-abcd");
    expect(shortId(null)).toBe("–");
  });
});

describe("time travel from a timeline row", () => {
  const openRow = async (d: RowDetail) => {
    mount(
      snapshot({
        rows: [row(0), row(1), row(2)],
        header: header({ status: "success", stream_mode: ["updates"] }),
      }),
    );
    await tick();
    el.querySelectorAll<HTMLElement>('[data-testid="timeline-row"]')[d.index].click();
    await answer("row", d as unknown as Record<string, unknown>);
  };

  it("forks with only the keys the user changed, and shows the Python line with them", async () => {
    await openRow(detail());
    const field = $<HTMLTextAreaElement>("fork-values");
    expect(JSON.parse(field.value)).toEqual({ topic: "b", items: [1, 2] });
    expect($("python-fork").textContent).toBe('run.fork(checkpoint_id="cp-1")');
    expect($("python-replay").textContent).toBe('run.replay(checkpoint_id="cp-1")');
    type(
      field,
      '{"topic": "c \\"quoted\\"", "items": [1, 2], "extra": {"on": true, "off": false, "none": null}}',
    );
    expect($("python-fork").textContent).toBe(
      'run.fork(checkpoint_id="cp-1", values={"topic": "c \\"quoted\\"", "extra": {"on": True, "off": False, "none": None}})',
    );
    $("fork").click();
    expect(requests("fork")).toEqual([
      {
        type: "fork",
        req: expect.any(String),
        index: 1,
        values: { topic: 'c "quoted"', extra: { on: true, off: false, none: null } },
      },
    ]);
    expect($<HTMLButtonElement>("fork").disabled).toBe(true);
    expect($<HTMLButtonElement>("replay").disabled).toBe(true);
    await answer("fork", { ok: true, run_id: "run-fork-123456" });
    expect($("time-travel-status").textContent).toBe("Forked: run run-fork goes on in this view.");
  });

  it("forks with values null when nothing was changed, and replays by index", async () => {
    await openRow(detail());
    $("fork").click();
    expect(requests("fork")[0]).toMatchObject({ type: "fork", index: 1, values: null });
    await answer("fork", { error: "The thread is busy: wait for its run to end." });
    expect($("time-travel-status").textContent).toBe("The thread is busy: wait for its run to end.");
    expect($<HTMLButtonElement>("replay").disabled).toBe(false);
    $("replay").click();
    expect(requests("replay")).toEqual([{ type: "replay", req: expect.any(String), index: 1 }]);
  });

  it("refuses invalid JSON in the state field with a message, and sends nothing", async () => {
    await openRow(detail());
    type($("fork-values"), '{"topic": ');
    expect($("fork-error").hidden).toBe(false);
    expect($("python-fork").textContent).toBe('run.fork(checkpoint_id="cp-1")');
    $("fork").click();
    type($("fork-values"), "42");
    $("fork").click();
    expect(requests("fork")).toEqual([]);
    expect($("fork-error").textContent).toBe("The state must be a JSON object ({…}); nothing was sent.");
  });

  it("asks again for an open row once it learns its checkpoint (matched after the run)", async () => {
    await openRow(
      detail({
        checkpoint_id: null,
        actions: { fork: null, replay: null, refused: "No checkpoint is known" },
      }),
    );
    expect($("refused").textContent).toBe("No checkpoint is known");
    const asked = requests("row").length;
    model.custom({ type: "delta", seq: 1, checkpoints: { "0": "cp-0" } }); // another row: not asked
    expect(requests("row")).toHaveLength(asked);
    model.custom({ type: "delta", seq: 2, checkpoints: { "1": "cp-1" } });
    expect(requests("row")).toHaveLength(asked + 1);
    await answer("row", detail() as unknown as Record<string, unknown>);
    expect($$("refused")).toHaveLength(0);
    expect($<HTMLButtonElement>("fork").disabled).toBe(false);
  });

  it("shows why a row cannot be forked, with the buttons disabled", async () => {
    await openRow(
      detail({
        actions: { fork: null, replay: null, refused: `A subgraph checkpoint cannot be forked ${EVIL}` },
      }),
    );
    expect($("refused").textContent).toBe(`A subgraph checkpoint cannot be forked ${EVIL}`);
    expect($<HTMLButtonElement>("fork").disabled).toBe(true);
    expect($<HTMLButtonElement>("replay").disabled).toBe(true);
    expect($<HTMLTextAreaElement>("fork-values").disabled).toBe(true);
    $("fork").click();
    expect(requests("fork")).toEqual([]);
    expect($$("python-fork")).toHaveLength(0);
    expect(el.querySelector("img")).toBeNull();
  });

  it("shows only the Python lines in a saved copy", async () => {
    const saved: EmbeddedRun = {
      format: "lg_widgets.html/1",
      snapshot: snapshot({
        rows: [row(0), row(1)],
        header: header({ status: "success", stream_mode: ["updates"] }),
      }),
      row_details: [detail({ index: 0, row: row(0) }), detail()],
      events: { started_at: 1000, modes: [], namespaces: [], nodes: [], frames: [], rows: [] },
    };
    dispose = renderStatic(el, saved);
    await tick();
    el.querySelectorAll<HTMLElement>('[data-testid="timeline-row"]')[1].click();
    await tick(0);
    expect($("python-fork").textContent).toBe('run.fork(checkpoint_id="cp-1")');
    expect($$("fork")).toHaveLength(0);
    expect($$("replay")).toHaveLength(0);
    expect($$("fork-values")).toHaveLength(0);
  });
});
