// JupyterLab re-creates a widget's view when its output is replaced (as each run the view shows
// ends, with the final copy): the new view opens where the user left the old one.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import widget from "../src/index";
import { FakeModel, header, snapshot } from "./fixtures";

let el: HTMLElement;
let dispose: () => void;
beforeEach(() => {
  el = document.createElement("div");
  document.body.appendChild(el);
});
afterEach(() => {
  dispose?.();
  el.remove();
});

const tree = {
  namespace: "",
  name: "chat",
  agent: "agent",
  cause: "node" as const,
  tool_call_id: null,
  handoff: null,
  tokens: 0,
  task_id: null,
  left_out: false,
  status: "success" as const,
  events: 2,
  nodes: { review: 1 },
  first_time: 1000,
  last_time: 1001,
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
      status: "success" as const,
      events: 1,
      nodes: {},
      first_time: 1000,
      last_time: 1001,
      children: [],
    },
  ],
};

describe("a view re-created for the same run", () => {
  it("keeps the tab and the namespace the user chose", () => {
    const model = new FakeModel(snapshot({ header: header({ status: "success", live: false }), tree }));
    dispose = widget.render({ model: model as never, el });
    (el.querySelector('[data-testid="tab-events"]') as HTMLElement).click();
    (el.querySelectorAll('[data-testid="tree-namespace"]')[1] as HTMLElement).click();
    dispose();
    el.replaceChildren();

    dispose = widget.render({ model: new FakeModel(model.current) as never, el }); // a new proxy
    expect(el.querySelector('[data-testid="tab-events"]')?.getAttribute("aria-selected")).toBe("true");
    const selected = el.querySelector('[data-testid="tree-namespace"].lgw-selected') as HTMLElement;
    expect(selected?.dataset.namespace).toBe("review:1");

    const other = document.createElement("div"); // another run: its own defaults
    const another = new FakeModel(snapshot({ header: header({ started_at: 2000 }) }));
    const fresh = widget.render({ model: another as never, el: other });
    expect(other.querySelector('[data-testid="tab-events"]')?.getAttribute("aria-selected")).toBe("false");
    fresh();
  });
});

describe("a view re-created after it went on with the next run of its thread", () => {
  it("keeps the tab the user chose under the first run", () => {
    const first = { run_id: "a", status: "interrupted" as const, origin: "python", started_at: 1000 };
    const model = new FakeModel(snapshot({ header: header({ status: "interrupted", runs: [first] }) }));
    dispose = widget.render({ model: model as never, el });
    (el.querySelector('[data-testid="tab-timeline"]') as HTMLElement).click();
    dispose();
    el.replaceChildren();

    const next = { run_id: "b", status: "success" as const, origin: "resume", started_at: 1010 };
    const later = header({ status: "success", started_at: 1010, run_id: "b", runs: [first, next] });
    dispose = widget.render({ model: new FakeModel(snapshot({ header: later })) as never, el });
    expect(el.querySelector('[data-testid="tab-timeline"]')?.getAttribute("aria-selected")).toBe("true");
  });
});
