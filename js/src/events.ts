// The raw event log, a page at a time from the kernel (it holds every event; the widget only
// ships counts), with a mode filter; a row opens its payload as collapsible JSON.
import type { Context } from "./context";
import { h, middle, namespaceLabel, replace } from "./dom";
import { filterSelect } from "./filter";
import { jsonView } from "./json";
import type { Panel } from "./panel";
import type { EventRow } from "./types";

const PAGE = 100;

export function eventsPanel(ctx: Context): Panel {
  const modeFilter = filterSelect("mode", "all modes");
  const older = h("button", { class: "lgw-button", type: "button" }, "‹ older");
  const newer = h("button", { class: "lgw-button", type: "button" }, "newer ›");
  const latest = h("button", { class: "lgw-button", type: "button" }, "latest");
  const where = h("span", { class: "lgw-muted", testid: "events-where" });
  const list = h("div", { class: "lgw-events-list", testid: "events" });
  const el = h(
    "div",
    { class: "lgw-panel lgw-events" },
    h("div", { class: "lgw-toolbar" }, modeFilter.el, older, newer, latest, where),
    h("div", { class: "lgw-scroll" }, list),
  );

  let offset: number | null = null; // null: follow the newest page
  let visible = false;
  let inFlight = false;
  let again = false;
  let lastTotal = -1;

  const showRows = (rows: EventRow[], label: string) => {
    where.textContent = label;
    replace(list, ...rows.map(rowEl));
  };
  const rowEl = (row: EventRow): HTMLElement => {
    const details = h(
      "details",
      { class: "lgw-event", testid: "event" },
      h(
        "summary",
        {},
        h("span", { class: "lgw-c-seq" }, String(row.seq)),
        h("span", { class: "lgw-mode" }, row.mode),
        h("span", { class: "lgw-ns", title: row.namespace }, namespaceLabel(row.namespace)),
        h("span", { class: "lgw-node", title: row.node ?? "" }, middle(row.node ?? "", 18)),
        h("span", { class: "lgw-c-preview" }, row.preview),
      ),
    );
    details.addEventListener("toggle", () => {
      if (!details.open || details.dataset.loaded) return;
      details.dataset.loaded = "1";
      const body = h("div", { class: "lgw-muted" }, "Loading…");
      details.appendChild(body);
      ctx.kernel.request({ type: "event", seq: row.seq }).then(
        (answer) => replace(body, "error" in answer ? answer.error : jsonView(answer.data, "data")),
        (err: Error) => replace(body, err.message),
      );
    });
    return details;
  };
  const savedTail = () => ctx.store.eventsTail.filter((r) => modeFilter.matches(r.mode));
  const fallback = () => {
    const rows = savedTail();
    showRows(rows, `last ${rows.length} events saved with the widget (kernel not connected)`);
  };
  const load = () => {
    if (!visible) return;
    if (inFlight) {
      again = true;
      return;
    }
    inFlight = true;
    const filter = modeFilter.value;
    if (!list.childElementCount && offset === null) {
      // the saved tail shows at once; the kernel's page replaces it when it answers
      showRows(savedTail(), "loading from the kernel…");
    }
    ctx.kernel
      .request({ type: "events", modes: filter ? [filter] : [], offset: offset ?? -PAGE, limit: PAGE })
      .then((page) => {
        if ("error" in page) {
          showRows([], page.error);
          return;
        }
        lastTotal = page.total;
        const end = page.offset + page.rows.length;
        showRows(page.rows, page.total ? `${page.offset + 1}–${end} of ${page.total}` : "no events");
        older.disabled = page.offset === 0;
        newer.disabled = end >= page.total;
      }, fallback)
      .finally(() => {
        inFlight = false;
        if (again) {
          again = false;
          load();
        }
      });
  };

  older.addEventListener("click", () => {
    const start = offset ?? Math.max(0, lastTotal - PAGE);
    offset = Math.max(0, start - PAGE);
    load();
  });
  newer.addEventListener("click", () => {
    offset = offset === null ? null : offset + PAGE;
    if (offset !== null && offset + PAGE >= lastTotal) offset = null;
    load();
  });
  latest.addEventListener("click", () => {
    offset = null;
    load();
  });
  modeFilter.el.addEventListener("change", () => {
    offset = null;
    load();
  });

  let throttle: ReturnType<typeof setTimeout> | null = null;
  const unsubscribe = ctx.store.subscribe((change) => {
    if (!change.counts && !change.reset) return;
    for (const mode of Object.keys(ctx.store.counts)) modeFilter.add(mode);
    // following the newest page: refresh at most twice a second
    if (offset === null && visible && !throttle) {
      throttle = setTimeout(() => {
        throttle = null;
        load();
      }, 500);
    }
  });
  return {
    el,
    shown() {
      visible = true;
      load();
    },
    hidden() {
      visible = false;
    },
    dispose() {
      unsubscribe();
      if (throttle) clearTimeout(throttle);
    },
  };
}
