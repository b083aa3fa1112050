// Requests to the kernel: one typed function over the wire's `Request` union.
//
// Why our own request/response over anywidget custom messages (each asking request carries an id,
// `req`, that the answer echoes) rather than anywidget's `experimental.invoke`: invoke gives up
// after a default 3 s, and its commands run on the kernel's shell thread, while our answers (the
// state at a timeline row, a page of the event log) are computed from the run's data on the run's
// event loop and may take longer than that on a big run. Our link waits TIMEOUT_MS instead.
import type { AnyModel } from "@anywidget/types";
import type {
  Continued,
  EventDetail,
  EventsPage,
  Opened,
  Request,
  RequestError,
  Response,
  RowDetail,
} from "./types";

/** What each request type is answered with; `void`: no answer comes back. */
export interface Answers {
  cancel: void;
  resync: void;
  row: RowDetail;
  events: EventsPage;
  event: EventDetail;
  resume: Continued;
  fork: Continued;
  replay: Continued;
  open: Opened;
}

export type RequestType = Request["type"];

/** A request as a panel writes it: the link adds the `req` id where an answer is expected. */
export type Outgoing<K extends RequestType> = { type: K } & Omit<
  Extract<Request, { type: K }>,
  "type" | "req"
>;

/** The kernel's answer to a request of type K (it may be an error sentence instead). */
export type Reply<K extends RequestType> = Answers[K] extends void ? void : Answers[K] | RequestError;

export interface Kernel {
  /** Send a request; the promise settles with the kernel's answer, or at once when none is due. */
  request<K extends RequestType>(message: Outgoing<K>): Promise<Reply<K>>;
}

/** Which requests the kernel answers (and so carry a `req` id). */
const ANSWERED: Record<RequestType, boolean> = {
  cancel: false,
  resync: false,
  row: true,
  events: true,
  event: true,
  resume: true,
  fork: true,
  replay: true,
  open: true,
};

const TIMEOUT_MS = 10_000;

interface Pending {
  resolve(answer: Response): void;
  reject(err: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

export function createKernel(
  model: Pick<AnyModel, "send">,
): Kernel & { receive(msg: Response): boolean; dispose(): void } {
  const pending = new Map<string, Pending>();
  const prefix = Math.random().toString(36).slice(2, 10);
  let counter = 0;
  return {
    request<K extends RequestType>(message: Outgoing<K>): Promise<Reply<K>> {
      if (!ANSWERED[message.type]) {
        return new Promise<Reply<K>>((resolve) => {
          model.send(message);
          resolve(undefined as Reply<K>);
        });
      }
      const req = `${prefix}-${++counter}`;
      return new Promise<Reply<K>>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(req);
          reject(new Error("the kernel did not answer (is it running?)"));
        }, TIMEOUT_MS);
        pending.set(req, { resolve: (answer) => resolve(answer as unknown as Reply<K>), reject, timer });
        try {
          model.send({ ...message, req });
        } catch (err) {
          clearTimeout(timer);
          pending.delete(req);
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      });
    },
    /** Resolve a pending request; false when the message is not an answer meant for this view. */
    receive(msg) {
      const entry = pending.get(String(msg.req));
      if (!entry) return false;
      pending.delete(String(msg.req));
      clearTimeout(entry.timer);
      entry.resolve(msg);
      return true;
    },
    dispose() {
      for (const entry of pending.values()) clearTimeout(entry.timer);
      pending.clear();
    },
  };
}
