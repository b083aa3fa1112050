// Real kernel output (js/test/wire.fixture.json, written by tests/unit/test_wire_contract.py
// from a recorded run and held equal to what the kernel sends now) applied by the front end:
// the Python and TypeScript sides of the wire agree on data, not only on declarations.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import widget from "../src/index";
import type { Delta, EventDetail, EventsPage, Snapshot } from "../src/types";
import { FakeModel } from "./fixtures";
import fixture from "./wire.fixture.json";

interface Recorded {
  first: Snapshot;
  deltas: Delta[];
  last: Snapshot;
  events: EventsPage;
  event: EventDetail;
}

const recorded = fixture as unknown as Recorded;

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

const texts = (root: HTMLElement) =>
  Array.from(root.querySelectorAll('[data-testid="message"] pre')).map((pre) => pre.textContent);

describe("the front end applies what the kernel really sends", () => {
  it("deltas over the first snapshot give the same view as the last snapshot", () => {
    const live = new FakeModel(recorded.first);
    dispose = widget.render({ model: live as never, el });
    for (const delta of recorded.deltas) live.custom(delta as unknown as Record<string, unknown>);
    const fromDeltas = texts(el);
    const status = el.querySelector('[data-testid="status"]')?.textContent;
    dispose();

    const saved = new FakeModel(recorded.last);
    dispose = widget.render({ model: saved as never, el });
    expect(fromDeltas.length).toBeGreaterThan(0);
    expect(texts(el)).toEqual(fromDeltas);
    expect(fromDeltas).toEqual(recorded.last.messages.map((m) => m.text));
    expect(status).toBe("success");
    expect(el.querySelector('[data-testid="status"]')?.textContent).toBe("success");
  });
});
