// A kernel for a run saved as one HTML file (`run.to_html()`): the view's requests are answered
// from the data embedded in the page, as the Python side (view/queries.py) would answer them.
// Nothing can be cancelled or resynced: the copy is read-only and complete.
import type { Kernel, Outgoing, Reply, RequestType } from "./kernel";
import type {
  EmbeddedEventRow,
  EmbeddedRun,
  EventDetail,
  EventRow,
  EventsPage,
  Request,
  RequestError,
} from "./types";

const EVENTS_PAGE_MAX = 500; // as view/queries.py

/** Any request as a panel writes it (without the `req` id a kernel link adds). */
type Asked = Request extends infer R ? (R extends Request ? Omit<R, "req"> : never) : never;

export function createLocalKernel(run: EmbeddedRun): Kernel & { dispose(): void } {
  const events = run.events;
  const bySeq = (seq: number): EmbeddedEventRow | undefined => events.rows[seq];
  const row = (seq: number, raw: EmbeddedEventRow): EventRow => {
    const [time, mode, namespace, node, preview, , data] = raw;
    return {
      seq,
      time: events.started_at + time,
      mode: events.modes[mode],
      namespace: events.namespaces[namespace],
      node: events.nodes[node],
      preview: preview ?? String(data), // null: the token's content is its own preview
    };
  };
  const payload = (raw: EmbeddedEventRow): unknown => {
    const [, , , , , , data, frameIndex] = raw;
    if (frameIndex < 0) return data;
    const frame = events.frames[frameIndex];
    const chunk = Object.fromEntries(
      frame.keys.map((key, i) => [key, key === "content" ? data : frame.values[i]]),
    );
    return [chunk, frame.metadata];
  };
  let byMode: Map<string, number[]> | null = null; // built on the first filtered page
  const seqsOf = (modes: string[]): number[] => {
    if (!byMode) {
      byMode = new Map();
      events.rows.forEach((raw, seq) => {
        const mode = events.modes[raw[1]];
        const list = byMode!.get(mode) ?? [];
        list.push(seq);
        byMode!.set(mode, list);
      });
    }
    return modes.flatMap((mode) => byMode!.get(mode) ?? []).sort((a, b) => a - b);
  };
  const eventsPage = (modes: string[] | null, offset: number, limit: number): EventsPage => {
    const seqs = modes && modes.length ? seqsOf(modes) : null;
    const total = seqs ? seqs.length : events.rows.length;
    const size = Math.max(0, Math.min(limit, EVENTS_PAGE_MAX));
    const start = offset < 0 ? Math.max(0, total + offset) : offset;
    const chosen = seqs
      ? seqs.slice(start, start + size)
      : Array.from({ length: Math.max(0, Math.min(size, total - start)) }, (_, i) => start + i);
    return { total, offset: start, rows: chosen.map((seq) => row(seq, events.rows[seq])) };
  };
  const eventDetail = (seq: number): EventDetail | RequestError => {
    const raw = bySeq(seq);
    if (!raw) return { error: `no event ${seq}` };
    return { ...row(seq, raw), id: raw[5], data: payload(raw) };
  };

  const answer = (m: Asked): unknown => {
    switch (m.type) {
      case "row":
        return run.row_details[m.index] ?? { error: `no timeline row ${m.index}` };
      case "events":
        return eventsPage(m.modes, m.offset, m.limit);
      case "event":
        return eventDetail(m.seq);
      case "resume":
      case "fork":
      case "replay":
        return { error: "This is a saved copy of the run: open the notebook to continue its thread." };
      case "open":
        return { error: "This is a saved copy of the run: open the notebook to subscribe to more of it." };
      default: // cancel, resync: nothing to do in a saved copy
        return undefined;
    }
  };

  return {
    request<K extends RequestType>(message: Outgoing<K>): Promise<Reply<K>> {
      return Promise.resolve(answer(message as unknown as Asked) as Reply<K>);
    },
    dispose() {},
  };
}
