// Request/response over anywidget custom messages: each request carries an id the answer echoes.
import type { Kernel } from "./context";

export interface ModelLike {
  send(content: Record<string, unknown>): void;
}

const TIMEOUT_MS = 10_000;

export function createKernel(
  model: ModelLike,
): Kernel & { receive(msg: Record<string, unknown>): boolean; dispose(): void } {
  const pending = new Map<
    string,
    { resolve(value: unknown): void; reject(err: Error): void; timer: ReturnType<typeof setTimeout> }
  >();
  const prefix = Math.random().toString(36).slice(2, 10);
  let counter = 0;
  return {
    send(message) {
      model.send(message);
    },
    request<T>(message: Record<string, unknown>): Promise<T> {
      const req = `${prefix}-${++counter}`;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(req);
          reject(new Error("the kernel did not answer (is it running?)"));
        }, TIMEOUT_MS);
        pending.set(req, { resolve: resolve as (value: unknown) => void, reject, timer });
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
