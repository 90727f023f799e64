import type { EventStore, RecordedEvent } from './port.js';

export interface SubscriptionOptions {
  fromPosition: number;
  batchSize?: number;
  /** Poll interval while live, as a fallback to append notifications. */
  pollMs?: number;
  /** Called when the handler throws; the subscription retries the same batch after `retryMs`. */
  onError?: (err: unknown) => void;
  retryMs?: number;
}

export interface Subscription {
  /** Position of the last event handed to the handler. */
  readonly position: number;
  /** True once the subscription has read up to the head at least once. */
  readonly caughtUp: boolean;
  stop(): Promise<void>;
}

/**
 * Catch-up then live: pages through readAll from the checkpoint, then waits for an append
 * notification (or the poll interval) and pages again. The handler sees every event once, in
 * position order; the position advances only after the handler resolved.
 */
export function subscribeToAll(
  store: EventStore,
  options: SubscriptionOptions,
  handler: (events: RecordedEvent[]) => Promise<void>,
): Subscription {
  const batchSize = options.batchSize ?? 500;
  const pollMs = options.pollMs ?? 500;
  const retryMs = options.retryMs ?? 1000;
  let position = options.fromPosition;
  let caughtUp = false;
  let stopped = false;
  let wake: (() => void) | undefined;
  let pending = false;
  const unlisten = store.onAppended(() => {
    pending = true;
    wake?.();
  });
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      }
      wake = done;
    });

  const loop = (async () => {
    while (!stopped) {
      try {
        pending = false;
        const events = await store.readAll({ fromPosition: position, limit: batchSize });
        if (events.length > 0) {
          await handler(events);
          position = events[events.length - 1].position;
        }
        if (events.length < batchSize) {
          caughtUp = true;
          if (!pending && !stopped) await sleep(pollMs);
        }
      } catch (err) {
        options.onError?.(err);
        if (!stopped) await sleep(retryMs);
      }
    }
  })();

  return {
    get position() {
      return position;
    },
    get caughtUp() {
      return caughtUp;
    },
    async stop() {
      stopped = true;
      unlisten();
      wake?.();
      await loop;
    },
  };
}
