// The state timeline as a virtualized table: only the rows in view exist in the DOM, so 10,000
// rows scroll as smoothly as 10. Full states are fetched from the kernel when a row is opened.
import type { Context } from "./context";
import { h, middle, namespaceLabel, replace, shortId } from "./dom";
import { followEnd } from "./follow";
import { parseObject } from "./interrupts";
import { jsonView } from "./json";
import type { Panel } from "./panel";
import { copyButton, forkLine, pythonLiteral } from "./python";
import type { Continued, RequestError, RowDetail, TimelineRow } from "./types";

export const ROW_HEIGHT = 22;

const HEAD_TITLES: Record<string, string> = {
  step:
    "The graph's super-step, where the stream says it: with stream_mode 'debug' or 'checkpoints' " +
    "(or token metadata). 'updates' and 'values' alone do not carry it: – here.",
  time: "Since the run began, to 0.1 ms (a fast graph's rows are apart by milliseconds).",
};

/** Time since the run began, fine enough that rows milliseconds apart differ. */
export function sinceStart(seconds: number): string {
  if (seconds < 1) return `+${Math.max(seconds * 1000, 0).toFixed(1)} ms`;
  return seconds < 60 ? `+${seconds.toFixed(4)} s` : `+${seconds.toFixed(1)} s`; // 0.1 ms
}
const OVERSCAN = 8;

export function timelinePanel(ctx: Context): Panel {
  const count = h("span", { class: "lgw-muted", testid: "timeline-count" });
  const head = h(
    "div",
    { class: "lgw-trow lgw-thead" },
    ...["seq", "step", "time", "namespace", "node", "changed", "preview"].map((c) =>
      h("span", { class: `lgw-c-${c}`, title: HEAD_TITLES[c] ?? "" }, c),
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
    // times from the start of the view's first run: rows of a chain of runs stay in order
    const header = ctx.store.header;
    const started = header?.runs?.[0]?.started_at ?? header?.started_at ?? row.time;
    const el = h(
      "div",
      {
        class: `lgw-trow${isSelected ? " lgw-selected" : ""}`,
        testid: "timeline-row",
        role: "button",
        tabindex: "0",
      },
      h("span", { class: "lgw-c-seq" }, String(row.seq)),
      h(
        "span",
        { class: "lgw-c-step", title: row.step === null ? HEAD_TITLES.step : "" },
        row.step === null ? "–" : String(row.step),
      ),
      h(
        "span",
        { class: "lgw-c-time", title: new Date(row.time * 1000).toISOString() },
        sinceStart(row.time - started),
      ),
      h("span", { class: "lgw-c-namespace", title: row.namespace }, namespaceLabel(row.namespace)),
      h(
        "span",
        { class: "lgw-c-node", title: row.node ?? "" },
        middle(row.node ?? (row.mode === "values" ? "(values)" : ""), 20),
      ),
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
      d.actions ? timeTravel(d) : null,
    );
  };

  /** Fork / replay from the row's checkpoint: the state in an editable field, the buttons, and
   * the Python line that does the same in a cell. A read-only view keeps only the lines. */
  const timeTravel = (d: RowDetail): HTMLElement => {
    const actions = d.actions;
    const refused = actions.refused;
    const box = h("div", { class: "lgw-time-travel", testid: "time-travel" });
    const forkCode = h("code", { class: "lgw-python", testid: "python-fork" });
    const replayCode = h("code", { class: "lgw-python", testid: "python-replay" }, actions.replay ?? "");
    const lines = h(
      "div",
      { class: "lgw-python-lines" },
      actions.fork
        ? h(
            "div",
            {},
            forkCode,
            copyButton(() => forkCode.textContent ?? ""),
          )
        : null,
      actions.replay
        ? h(
            "div",
            {},
            replayCode,
            copyButton(() => actions.replay ?? ""),
          )
        : null,
    );
    if (refused) box.appendChild(h("div", { class: "lgw-field-error", testid: "refused" }, refused));
    const editable = !ctx.readOnly && !refused;
    const stateText = JSON.stringify(d.state, null, 2);
    const field = h("textarea", {
      class: "lgw-field lgw-code",
      testid: "fork-values",
      rows: String(Math.min(8, stateText.split("\n").length)),
      title: "The state at this row: change it and fork to run from here with your values",
    });
    field.value = stateText;
    field.disabled = !editable;
    const fieldError = h("div", { class: "lgw-field-error", testid: "fork-error", hidden: true });
    const outcome = h("span", { class: "lgw-muted", testid: "time-travel-status" });
    const fork = h(
      "button",
      { class: "lgw-button lgw-primary", type: "button", testid: "fork" },
      "Fork from here",
    );
    const replay = h("button", { class: "lgw-button", type: "button", testid: "replay" }, "Replay from here");
    fork.disabled = !editable || !actions.fork;
    replay.disabled = !editable || !actions.replay;

    /** The keys the user changed, null for none, or the sentence saying why the field is refused. */
    const edited = (): { values: Record<string, unknown> | null } | { invalid: string } => {
      const parsed = parseObject(field.value, "The state");
      if ("invalid" in parsed) return parsed;
      const changed = Object.entries(parsed.value).filter(
        ([key, value]) => JSON.stringify(value) !== JSON.stringify(d.state[key]),
      );
      return { values: changed.length ? Object.fromEntries(changed) : null };
    };
    const showLine = () => {
      const now = edited();
      fieldError.hidden = !("invalid" in now);
      fieldError.textContent = "invalid" in now ? now.invalid : "";
      const values = "values" in now ? now.values : null;
      forkCode.textContent = forkLine(actions.fork ?? "", values && pythonLiteral(values));
    };
    showLine();
    field.addEventListener("input", showLine);

    const go = (request: Promise<Continued | RequestError>, pending: string, what: string) => {
      fork.disabled = replay.disabled = field.disabled = true;
      outcome.className = "lgw-muted";
      outcome.textContent = pending;
      request.then(
        (answer) => {
          if ("error" in answer) {
            outcome.className = "lgw-field-error";
            outcome.textContent = answer.error;
            fork.disabled = !actions.fork;
            replay.disabled = !actions.replay;
            field.disabled = false;
            return;
          }
          outcome.textContent = `${what}: run ${shortId(answer.run_id)} goes on in this view.`;
        },
        (err: unknown) => {
          outcome.className = "lgw-field-error";
          outcome.textContent = `${what} failed: ${err instanceof Error ? err.message : String(err)}`;
          fork.disabled = !actions.fork;
          replay.disabled = !actions.replay;
          field.disabled = false;
        },
      );
    };
    fork.addEventListener("click", () => {
      const now = edited();
      if ("invalid" in now) {
        fieldError.hidden = false;
        fieldError.textContent = now.invalid;
        return;
      }
      go(ctx.kernel.request({ type: "fork", index: d.index, values: now.values }), "Forking…", "Forked");
    });
    replay.addEventListener("click", () =>
      go(ctx.kernel.request({ type: "replay", index: d.index }), "Replaying…", "Replayed"),
    );

    // the buttons and the line first: the detail pane is short, the state field can be long
    box.prepend(h("div", { class: "lgw-subtitle" }, "Time travel: run again from this row's checkpoint"));
    if (!ctx.readOnly) box.append(h("div", { class: "lgw-decisions" }, fork, replay, outcome));
    box.appendChild(lines);
    if (!ctx.readOnly) box.append(field, fieldError);
    return box;
  };

  const unsubscribe = ctx.store.subscribe((change) => {
    if (change.reset) {
      recompute();
      return;
    }
    // the open row learnt its checkpoint (matched after the run): ask again, fork/replay now work
    if (selected !== null && change.named.includes(selected)) open(selected);
    const rows = ctx.store.rows;
    if (change.rowsFrom < rows.length) {
      for (let i = change.rowsFrom; i < rows.length; i++) if (matches(rows[i])) view.push(i);
      sizeChanged();
    } else if (change.named.length) schedule(); // rows in view may show their new step
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
