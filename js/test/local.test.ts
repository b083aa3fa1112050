// The read-only view of a saved file (`run.to_html()`): its local kernel answers every request
// as the Python kernel does (js/test/embedded.fixture.json, written by tests/unit/test_export.py
// from recorded runs), and the view works on it with nothing to cancel.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { renderStatic } from "../src/index";
import { createLocalKernel } from "../src/local";
import type { EmbeddedRun, Request } from "../src/types";
import { tick } from "./fixtures";
import fixture from "./embedded.fixture.json";

interface Recorded {
  name: string;
  run: EmbeddedRun;
  answers: Array<[Omit<Request, "req">, unknown]>;
}
const recorded = fixture as unknown as Recorded[];

/** Times are rebuilt from offsets in the file: equal to the microsecond, not to the bit. */
const split = (value: unknown, times: number[]): unknown => {
  if (Array.isArray(value)) return value.map((v) => split(v, times));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (k === "time" && typeof v === "number") times.push(v);
      else out[k] = split(v, times);
    }
    return out;
  }
  return value;
};
const expectSame = (got: unknown, expected: unknown, what: string) => {
  const [a, b]: number[][] = [[], []];
  expect(split(got, a), what).toEqual(split(expected, b));
  expect(a.length).toBe(b.length);
  a.forEach((t, i) => expect(Math.abs(t - b[i]), what).toBeLessThan(1e-5));
};

describe("the local kernel of a saved run", () => {
  for (const { name, run, answers } of recorded) {
    it(`answers like the Python kernel (${name})`, async () => {
      const kernel = createLocalKernel(run);
      for (const [request, expected] of answers) {
        const got = await kernel.request(request as never);
        expectSame(got, expected, JSON.stringify(request));
      }
    });
  }

  it("has nothing to do for cancel and resync", async () => {
    const kernel = createLocalKernel(recorded[0].run);
    expect(await kernel.request({ type: "cancel" })).toBeUndefined();
    expect(await kernel.request({ type: "resync" })).toBeUndefined();
  });
});

describe("renderStatic", () => {
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

  it("shows the saved run read-only, and opens a row's state from the file", async () => {
    const saved = recorded.find((r) => r.name === "agent.multi")!;
    dispose = renderStatic(el, saved.run);
    expect(el.querySelector('[data-testid="status"]')?.textContent).toBe("success");
    expect(el.querySelector('[data-testid="read-only"]')).not.toBeNull();
    expect((el.querySelector('[data-testid="cancel"]') as HTMLElement).hidden).toBe(true);
    (el.querySelector('[data-testid="tab-timeline"]') as HTMLElement).click();
    await tick(); // the virtualized rows render on the next frame
    const rows = el.querySelectorAll<HTMLElement>('[data-testid="timeline-row"]');
    expect(rows.length).toBe(saved.run.snapshot.rows.length);
    rows[rows.length - 1].click();
    await tick();
    expect(el.querySelector('[data-testid="row-state"]')?.textContent).toContain("ice cream and cats");
  });

  it("refuses data that is not a saved run", () => {
    expect(() => renderStatic(el, { format: "other" } as never)).toThrow("not a run saved by lg_widgets");
  });
});
