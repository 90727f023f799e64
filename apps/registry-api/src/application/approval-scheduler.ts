import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { APPROVAL_REQUEST_STREAM_PREFIX, approvalRequestOfStream, type ApprovalEventDataMap } from '#domain';
import type { EventStore, RecordedEvent } from '#event-store';
import { EVENT_STORE, ID_GENERATOR, type IdGenerator } from '../infrastructure/tokens.js';
import { ApprovalRequests } from './approval-requests.js';

const TICK_MS = 60_000;

/**
 * Reminders and expiry of approval requests. Keeps the set of versions with an open request
 * (at start from the streams holding a request, then from the dispatcher's feed) and, on each tick, lets the request
 * decider append what is due as of the injected clock; the dispatcher then delivers it.
 */
@Injectable()
export class ApprovalScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('approval-requests');
  private readonly open = new Map<string, { model: string; version: string }>();
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(ID_GENERATOR) private readonly ids: IdGenerator,
    private readonly requests: ApprovalRequests,
  ) {}

  private scanned?: Promise<void>;

  /**
   * Requests at start: the database names the streams holding an ApprovalRequested (no event is
   * read into the process, which matters on a long ledger); the dispatcher's feed brings every
   * request after that. A request that can no longer fall due is dropped by the first tick.
   * In the background: a long ledger must not delay the start.
   */
  onApplicationBootstrap(): void {
    this.scanned = (async () => {
      for (const stream of await this.store.streamsWithEventType('ApprovalRequested')) {
        const request = approvalRequestOfStream(stream);
        if (request) this.open.set(stream, request);
      }
    })().catch((err) => this.log.error(`finding open approval requests failed: ${String(err)}`));
    this.timer = setInterval(() => void this.tick().catch((err) => this.log.error(`reminders failed: ${String(err)}`)), TICK_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.scanned;
    await this.running;
  }

  observe(e: RecordedEvent): void {
    if (e.type === 'ApprovalRequested' && e.stream.startsWith(APPROVAL_REQUEST_STREAM_PREFIX)) {
      const d = e.data as ApprovalEventDataMap['ApprovalRequested'];
      this.open.set(e.stream, { model: d.model, version: d.version });
    }
  }

  /** Appends the reminders and expiries due now; returns how many events were appended. */
  async tick(): Promise<number> {
    const run = (async () => {
      await this.scanned;
      let appended = 0;
      for (const [stream, { model, version }] of [...this.open]) {
        const { due, open } = await this.requests.deadlines(model, version, this.ids.next());
        appended += due.length;
        if (!open) this.open.delete(stream);
      }
      return appended;
    })();
    this.running = run.then(() => undefined, () => undefined);
    return run;
  }
}
