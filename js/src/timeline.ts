// The state timeline as a virtualized table: only the rows in view exist in the DOM, so 10,000
// rows scroll as smoothly as 10. Full states are fetched from the kernel when a row is opened.
import type { Context } from "./context";
import { h, namespaceLabel, replace } from "./dom";
import { followEnd } from "./follow";
import { jsonView } from "./json";
import type { Panel } from "./panel";
import type { RequestError, RowDetail, TimelineRow } from "./types";

export const ROW_HEIGHT = 22;
const OVERSCAN = 8;

export function timelinePanel(ctx: Context): Panel {
  const count = h("span", { class: "lgw-muted", testid: "timeline-count" });
  const head = h(
    "div",
    { class: "lgw-trow lgw-thead" },
    ...["seq", "step", "time", "namespace", "node", "changed", "preview"].map((c) =>
      h("span", { class: `lgw-c-${c}` }, c),
    ),
  );
  const spacer = h("div", { class: "lgw-spacer-rows" });
  const layer = h("div", { class: "lgw-rows", testid: "timeline" });
  const scroller = h("div", { class: "lgw-scroll lgw-tscroll" }, spacer, layer);
  const detail = h(
    "div",
    { class: "lgw-detail", testid: "row-detail" },
    h("div", { class: "lgw-empty" }, "Select a row to see the state at that point and what changed."),
  );
  const el = h(
    "div",
    { class: "lgw-panel lgw-timeline" },
    h("div", { class: "lgw-toolbar" }, count),
    head,
    scroller,
    detail,
  );

  let view: number[] = [];
  let selected: number | null = null;
  let frame = 0;
  const follower = followEnd(scroller, () => schedule());

  const matches = (row: TimelineRow) => ctx.selection.includes(row.namespace, row.node);
  const recompute = () => {
    view = [];
    ctx.store.rows.forEach((row, i) => {
      if (matches(row)) view.push(i);
    });
    sizeChanged();
  };
  const sizeChanged = () => {
    spacer.style.height = `${view.length * ROW_HEIGHT}px`;
    count.textContent = `${view.length} rows${view.length !== ctx.store.rows.length ? ` of ${ctx.store.rows.length}` : ""}`;
    follower.stick();
    schedule();
  };
  const schedule = () => {
    if (!frame) frame = requestAnimationFrame(render);
  };
  const render = () => {
    frame = 0;
    const height = scroller.clientHeight || 300;
    const first = Math.max(0, Math.floor(scroller.scrollTop / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(view.length, first + Math.ceil(height / ROW_HEIGHT) + 2 * OVERSCAN);
    layer.style.transform = `translateY(${first * ROW_HEIGHT}px)`;
    const els: HTMLElement[] = [];
    for (let k = first; k < last; k++) els.push(rowElement(ctx.store.rows[view[k]], view[k] === selected));
    replace(layer, ...els);
  };
  const rowElement = (row: TimelineRow, isSelected: boolean): HTMLElement => {
    const started = ctx.store.header?.started_at ?? row.time;
    const el = h(
      "div",
      {
        class: `lgw-trow${isSelected ? " lgw-selected" : ""}`,
        testid: "timeline-row",
        role: "button",
        tabindex: "0",
      },
      h("span", { class: "lgw-c-seq" }, String(row.seq)),
      h("span", { class: "lgw-c-step" }, row.step === null ? "" : String(row.step)),
      h("span", { class: "lgw-c-time" }, `+${(row.time - started).toFixed(2)}s`),
      h("span", { class: "lgw-c-namespace", title: row.namespace }, namespaceLabel(row.namespace)),
      h("span", { class: "lgw-c-node" }, row.node ?? (row.mode === "values" ? "(values)" : "")),
      h("span", { class: "lgw-c-changed" }, row.changed.join(", ")),
      h("span", { class: "lgw-c-preview", title: row.preview }, row.preview),
    );
    el.dataset.index = String(row.index);
    el.dataset.node = row.node ?? "";
    el.addEventListener("click", () => open(row.index));
    el.addEventListener("keydown", (e) => {
      if (e.key === "Enter") open(row.index);
    });
    return el;
  };
  const open = (index: number) => {
    selected = index;
    schedule();
    replace(detail, h("div", { class: "lgw-muted" }, `Loading row ${index}…`));
    ctx.kernel.request({ type: "row", index }).then(
      (answer) => {
        if (selected === index) showDetail(answer);
      },
      (err: Error) => replace(detail, h("div", { class: "lgw-error" }, `Row ${index}: ${err.message}`)),
    );
  };
  const showDetail = (d: RowDetail | RequestError) => {
    if ("error" in d) {
      replace(detail, h("div", { class: "lgw-error" }, d.error));
      return;
    }
    const row = ctx.store.rows[d.index];
    const diff = h("div", { class: "lgw-diff", testid: "row-diff" });
    if (!d.diff.length)
      diff.appendChild(
        h("div", { class: "lgw-muted" }, d.previous === null ? "first row of this namespace" : "no change"),
      );
    for (const change of d.diff) {
      diff.appendChild(
        h(
          "div",
          { class: `lgw-diff-${change.kind}` },
          h("span", { class: "lgw-json-key" }, `${change.key} (${change.kind})`),
          change.kind !== "added" ? jsonView(change.before, "before") : null,
          change.kind !== "removed" ? jsonView(change.after, "after") : null,
        ),
      );
    }
    replace(
      detail,
      h(
        "div",
        { class: "lgw-detail-title" },
        `Row ${d.index} · seq ${row?.seq ?? ""} · ${namespaceLabel(row?.namespace ?? "")} · ${row?.node ?? row?.mode ?? ""}`,
      ),
      h(
        "div",
        { class: "lgw-detail-cols" },
        h(
          "div",
          {},
          h(
            "div",
            { class: "lgw-subtitle" },
            `Changed from ${d.previous === null ? "start" : `row ${d.previous}`}`,
          ),
          diff,
        ),
        h(
          "div",
          { testid: "row-state" },
          h(
            "div",
            { class: "lgw-subtitle" },
            d.approximate ? "State at this row (updates merged; reducers not applied)" : "State at this row",
          ),
          jsonView(d.state, "state"),
        ),
      ),
    );
  };

  const unsubscribe = ctx.store.subscribe((change) => {
    if (change.reset) {
      recompute();
      return;
    }
    const rows = ctx.store.rows;
    if (change.rowsFrom < rows.length) {
      for (let i = change.rowsFrom; i < rows.length; i++) if (matches(rows[i])) view.push(i);
      sizeChanged();
    }
  });
  ctx.selection.subscribe(recompute);
  recompute();
  return {
    el,
    shown() {
      follower.stick();
      schedule();
    },
    hidden() {},
    dispose() {
      follower.dispose();
      unsubscribe();
      if (frame) cancelAnimationFrame(frame);
    },
  };
}
