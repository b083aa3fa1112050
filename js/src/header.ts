// Status line: ids (copyable), status badge, elapsed, event counts, error, Cancel; the thread's
// runs when the view went on past its first one (resume, fork, replay); pending interrupts.
import type { Context } from "./context";
import { formatSeconds, formatTokens, h, middle, replace, shortId } from "./dom";
import { interruptsView } from "./interrupts";
import type { Panel } from "./panel";
import { tokensByAgent } from "./tree";
import type { RunStatus } from "./types";

const FINAL = new Set<RunStatus>(["success", "error", "cancelled", "interrupted"]);

export interface HeaderPanel extends Panel {
  /** Show a front-end failure under the status line instead of losing it in the console. */
  report(problem: string): void;
}

export function headerPanel(ctx: Context): HeaderPanel {
  const badge = h("span", { class: "lgw-badge", testid: "status" });
  const title = h("span", { class: "lgw-title", testid: "assistant" });
  const ids = h("span", { class: "lgw-ids" });
  const elapsed = h("span", { class: "lgw-elapsed", testid: "elapsed" });
  const counts = h("span", {
    class: "lgw-counts",
    testid: "counts",
    title:
      "Every event the kernel received, by stream mode. The tree counts the events of each " +
      "namespace and those under it; the run's metadata event belongs to no namespace.",
  });
  const tokens = h("span", { class: "lgw-counts", testid: "tokens" });
  const reconnects = h("span", { class: "lgw-muted", testid: "reconnects", hidden: true });
  const cancel = h("button", { class: "lgw-button", testid: "cancel", type: "button" }, "Cancel");
  const error = h("div", { class: "lgw-error", testid: "error", hidden: true });
  const runs = h("div", { class: "lgw-runs", testid: "runs", hidden: true });
  const interrupts = h("div", { class: "lgw-interrupts", testid: "interrupts", hidden: true });
  const problems = h("div", { class: "lgw-warnings", testid: "warnings", hidden: true });
  const cancelNote = h("div", { class: "lgw-warnings", testid: "cancel-note", hidden: true });
  cancel.addEventListener("click", () => {
    const note = ctx.cancelNote?.() ?? "";
    cancelNote.hidden = !note;
    cancelNote.textContent = note;
    if (note) return; // the click would wait behind the cell that awaits the run: say so now
    ctx.kernel
      .request({ type: "cancel" })
      .catch((err: unknown) => report(`lg_widgets front end: sending cancel failed: ${String(err)}`));
    cancel.disabled = true;
    cancel.textContent = "Cancelling…";
  });
  const el = h(
    "div",
    { class: "lgw-header" },
    h(
      "div",
      { class: "lgw-header-line" },
      badge,
      title,
      ids,
      elapsed,
      counts,
      tokens,
      reconnects,
      h("span", { class: "lgw-spacer" }),
      ctx.readOnly ? h("span", { class: "lgw-muted", testid: "read-only" }, "saved copy (read-only)") : null,
      cancel,
    ),
    runs,
    error,
    cancelNote,
    problems,
    interrupts,
  );

  const frontEndProblems: string[] = [];
  let shownIds = "";
  let shownError: string | null = null;
  let shownInterrupts = "";
  let shownRuns = "";
  const render = () => {
    const header = ctx.store.header;
    if (!header) return;
    const status = header.status;
    badge.textContent =
      status === "reconnecting" && header.reconnect_attempt
        ? `reconnecting (attempt ${header.reconnect_attempt})`
        : status;
    badge.dataset.status = status;
    // a break resumed within one flush never shows as "reconnecting": the count says it happened
    reconnects.hidden = !header.reconnects;
    reconnects.textContent = header.reconnects ? `reconnected ×${header.reconnects}` : "";
    title.textContent = header.assistant_id ?? "run";
    const idKey = `${header.thread_id}|${header.run_id}`;
    if (idKey !== shownIds) {
      shownIds = idKey;
      replace(ids, copyable("thread", header.thread_id), copyable("run", header.run_id));
    }
    const final = FINAL.has(status);
    cancel.hidden = final || !header.live || !!ctx.readOnly;
    if (final) cancelNote.hidden = true;
    if (status !== "cancelling" && !final) {
      cancel.disabled = false;
      cancel.textContent = "Cancel";
    }
    if (header.error !== shownError) {
      shownError = header.error;
      error.hidden = !header.error;
      error.textContent = header.error ?? "";
    }
    const warnings = [...(header.warnings ?? []), ...frontEndProblems];
    problems.hidden = !warnings.length;
    problems.textContent = warnings.join("\n");
    const interruptKey = JSON.stringify(header.interrupts ?? []);
    if (interruptKey !== shownInterrupts) {
      shownInterrupts = interruptKey;
      interrupts.hidden = !header.interrupts?.length;
      replace(interrupts, header.interrupts?.length ? interruptsView(ctx, header.interrupts) : null);
    }
    const chain = header.runs ?? [];
    const runsKey = JSON.stringify([header.run_id, chain]);
    if (runsKey !== shownRuns) {
      shownRuns = runsKey;
      runs.hidden = chain.length < 2;
      replace(
        runs,
        h("span", { class: "lgw-muted" }, "thread runs:"),
        ...chain.map((run, i) => {
          const status = h("span", { class: "lgw-badge" }, run.status);
          status.dataset.status = run.status;
          const item = h(
            "span",
            {
              class: `lgw-thread-run${run.run_id === header.run_id ? " lgw-current" : ""}`,
              testid: "thread-run",
              title: `run ${run.run_id} (${run.origin}), ${run.status}`,
            },
            `${i + 1}. ${run.origin} ${shortId(run.run_id)} `,
            status,
          );
          item.dataset.status = run.status;
          item.dataset.origin = run.origin;
          return item;
        }),
      );
    }
    tick();
  };
  const tick = () => {
    const header = ctx.store.header;
    if (!header) return;
    const end = header.ended_at ?? Date.now() / 1000;
    elapsed.textContent = formatSeconds(end - header.started_at);
  };
  const renderCounts = () => {
    const parts = Object.entries(ctx.store.counts).map(([mode, n]) => `${mode} ${n}`);
    counts.textContent = `${ctx.store.totalEvents} events${parts.length ? ` (${parts.join(", ")})` : ""}`;
  };
  /** Tokens the providers reported, per agent when several agents spent them. */
  const renderTokens = () => {
    const byAgent = [...tokensByAgent(ctx.store.tree)].filter(([, n]) => n > 0);
    const total = byAgent.reduce((sum, [, n]) => sum + n, 0);
    tokens.hidden = !total;
    tokens.textContent = !total
      ? ""
      : `· ${formatTokens(total)} tokens${
          byAgent.length > 1
            ? ` (${byAgent.map(([agent, n]) => `${middle(agent, 20)} ${formatTokens(n)}`).join(", ")})`
            : ""
        }`;
    tokens.title = byAgent.map(([agent, n]) => `${agent}: ${n} tokens`).join("\n");
  };
  const unsubscribe = ctx.store.subscribe((change) => {
    if (change.header) render();
    if (change.counts) renderCounts();
    if (change.tree) renderTokens();
  });
  const timer = setInterval(() => {
    if (ctx.store.header && ctx.store.header.ended_at === null) tick();
  }, 250);
  render();
  renderCounts();
  renderTokens();
  const report = (problem: string) => {
    frontEndProblems.push(problem);
    render();
  };
  return {
    el,
    report,
    shown() {},
    hidden() {},
    dispose() {
      clearInterval(timer);
      unsubscribe();
    },
  };
}

function copyable(label: string, value: string | null): HTMLElement {
  const button = h(
    "button",
    {
      class: "lgw-id",
      type: "button",
      title: value ? `${label} id ${value} (click to copy)` : `no ${label} id`,
      testid: `${label}-id`,
    },
    `${label} ${shortId(value)}`,
  );
  button.disabled = !value;
  button.addEventListener("click", () => {
    if (!value) return;
    void navigator.clipboard?.writeText(value).then(
      () => flash(button, "copied"),
      () => flash(button, "copy failed"),
    );
  });
  return button;
}

function flash(button: HTMLElement, text: string): void {
  const before = button.textContent;
  button.textContent = text;
  setTimeout(() => {
    button.textContent = before;
  }, 900);
}
