import { isModelStream } from '#domain';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, propagation, trace, type Span } from '@opentelemetry/api';
import type { EventStore } from '#event-store';
import type { SqlDb } from '#persistence';
import { RelayCheckpoints } from './checkpoints.js';
import type { Lease } from './lease.js';
import { DEFAULT_TOPICS, toMessages, type CloudEventsMode, type OutboundMessage, type Publisher, type RelayTopics } from './publisher.js';
import { VersionFactsLookup } from './version-facts.js';

export interface RelayOptions {
  /** Checkpoint and lease name; two relays with different names publish independently. */
  name?: string;
  topics?: RelayTopics;
  /** CloudEvents Kafka content mode (default structured). */
  mode?: CloudEventsMode;
  batchSize?: number;
  /**
   * Upper bound on a batch's encoded size, below the broker's message.max.bytes (1 MiB by
   * default): a batch is cut short rather than rejected as too large. At least one event is sent.
   */
  maxBatchBytes?: number;
  /** Idle poll, as a fallback to append notifications (other processes' writes on SQLite). */
  pollMs?: number;
  /** Backoff after a failed publish: initialMs doubling up to maxMs. */
  backoff?: { initialMs: number; maxMs: number };
  /** How often a replica without the lease tries to take it. */
  leaseRetryMs?: number;
  clock?: { now(): Date };
  log?: (level: 'error' | 'warn' | 'info', message: string) => void;
}

export interface RelayStatus {
  name: string;
  running: boolean;
  leader: boolean;
  /** Last position acknowledged by the broker and checkpointed. */
  position: number;
  published: number;
  consecutiveFailures: number;
  lastError?: string;
  lastPublishedAt?: string;
}

export interface RelayLag {
  eventsBehind: number;
  secondsBehind: number;
}

/**
 * Follows the event store from a durable checkpoint and publishes each event; the checkpoint
 * moves only after the publisher resolved (the broker acknowledged), so a crash or outage at any
 * point re-sends from the checkpoint: at least once, in position order, never lost.
 */
export class Relay {
  readonly name: string;
  private readonly topics: RelayTopics;
  private readonly checkpoints: RelayCheckpoints;
  private readonly facts: VersionFactsLookup;
  private position = -1;
  private published = 0;
  private failures = 0;
  private lastError?: string;
  private lastPublishedAt?: string;
  private stopped = true;
  private loop?: Promise<void>;
  private wake?: () => void;
  private pending = false;
  private unlisten?: () => void;

  constructor(
    private readonly db: SqlDb,
    private readonly store: EventStore,
    private readonly publisher: Publisher,
    private readonly lease: Lease,
    private readonly options: RelayOptions = {},
  ) {
    this.name = options.name ?? 'default';
    this.topics = options.topics ?? DEFAULT_TOPICS;
    this.checkpoints = new RelayCheckpoints(db);
    this.facts = new VersionFactsLookup(store);
  }

  private now(): Date {
    return this.options.clock?.now() ?? new Date();
  }

  /**
   * Publishes the next batch after the checkpoint, if this process holds the lease. Returns the
   * number of events published. Throws when the publisher fails (the checkpoint stays put).
   */
  async publishNextBatch(): Promise<number> {
    if (!(await this.lease.acquire())) return 0;
    const from = await this.checkpoints.get(this.name);
    this.position = from;
    const read = await this.store.readAll({ fromPosition: from, limit: this.options.batchSize ?? 500 });
    if (read.length === 0) return 0;
    const cloudEvents = await this.facts.toCloudEvents(read);
    const maxBytes = this.options.maxBatchBytes ?? 512 * 1024;
    const messages: OutboundMessage[] = [];
    let bytes = 0;
    let count = 0;
    for (const [i, ce] of cloudEvents.entries()) {
      // Only model lifecycle events go downstream; internal streams ($policy, $audit-checkpoints,
      // approval links) are passed over, and the checkpoint moves past them.
      const forEvent = isModelStream(read[i].stream) ? toMessages(ce, read[i].type, this.topics, this.options.mode) : [];
      const size = forEvent.reduce((n, m) => n + m.value.length + m.key.length + 64, 0);
      if (count > 0 && bytes + size > maxBytes) break;
      messages.push(...forEvent);
      bytes += size;
      count++;
    }
    const events = read.slice(0, count);
    if (messages.length > 0) {
      const spans = this.publishSpans(messages);
      try {
        await this.publisher.publish(messages);
        for (const s of spans) s.end();
      } catch (err) {
        for (const s of spans) {
          s.setAttribute('error.type', err instanceof Error ? err.name : 'Error');
          s.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
          s.end();
        }
        throw err;
      }
    }
    // Acked. A replica that lost its lease meanwhile may have duplicated this batch (same ids);
    // the forward-only checkpoint keeps either from rewinding the other.
    const last = events[events.length - 1].position;
    await this.checkpoints.advance(this.name, last, this.now());
    this.position = last;
    this.published += events.length;
    this.lastPublishedAt = this.now().toISOString();
    return events.length;
  }

  /**
   * One PRODUCER span per command whose events this batch sends (OTel messaging conventions:
   * `send {topic}`), child of the span that wrote them (the event's traceparent, also the Kafka
   * message's `traceparent` header), so a trace runs from the HTTP request to the broker's ack.
   */
  private publishSpans(messages: readonly OutboundMessage[]): Span[] {
    const groups = new Map<string, { topic: string; keys: Set<string>; count: number }>();
    for (const m of messages) {
      const tp = m.headers.traceparent;
      if (!tp) continue;
      const k = `${tp} ${m.topic}`;
      const g = groups.get(k) ?? { topic: m.topic, keys: new Set<string>(), count: 0 };
      g.keys.add(m.key);
      g.count++;
      groups.set(k, g);
    }
    const tracer = trace.getTracer('model-ledger-relay');
    return [...groups].map(([k, g]) =>
      tracer.startSpan(
        `send ${g.topic}`,
        {
          kind: SpanKind.PRODUCER,
          attributes: {
            'messaging.system': 'kafka',
            'messaging.operation.type': 'send',
            'messaging.operation.name': 'send',
            'messaging.destination.name': g.topic,
            'messaging.batch.message_count': g.count,
            ...(g.keys.size === 1 ? { 'messaging.kafka.message.key': [...g.keys][0] } : {}),
            'ledger.relay': this.name,
          },
        },
        propagation.extract(ROOT_CONTEXT, { traceparent: k.split(' ')[0] }),
      ),
    );
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.unlisten = this.store.onAppended(() => {
      this.pending = true;
      this.wake?.();
    });
    const { initialMs, maxMs } = this.options.backoff ?? { initialMs: 250, maxMs: 10_000 };
    this.loop = (async () => {
      while (!this.stopped) {
        try {
          this.pending = false;
          if (!this.lease.held && !(await this.lease.acquire())) {
            await this.sleep(this.options.leaseRetryMs ?? 2000);
            continue;
          }
          const n = await this.publishNextBatch();
          if (this.failures > 0) this.options.log?.('info', `relay ${this.name}: publishing again after ${this.failures} failed attempt(s)`);
          this.failures = 0;
          this.lastError = undefined;
          // Sleep only when caught up: a batch cut short by size still leaves events behind it.
          if (n === 0 && !this.pending) await this.sleep(this.options.pollMs ?? 1000);
        } catch (err) {
          this.failures += 1;
          this.lastError = err instanceof Error ? err.message : String(err);
          const delay = Math.min(maxMs, initialMs * 2 ** Math.min(this.failures - 1, 16));
          this.options.log?.('warn', `relay ${this.name}: publish failed (${this.lastError}); retrying from position ${this.position} in ${delay} ms`);
          await this.sleep(delay);
        }
      }
    })();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unlisten?.();
    this.wake?.();
    await this.loop;
    await this.publisher.close();
    await this.lease.release();
  }

  status(): RelayStatus {
    return {
      name: this.name,
      running: !this.stopped,
      leader: this.lease.held,
      position: this.position,
      published: this.published,
      consecutiveFailures: this.failures,
      ...(this.lastError ? { lastError: this.lastError } : {}),
      ...(this.lastPublishedAt ? { lastPublishedAt: this.lastPublishedAt } : {}),
    };
  }

  /** Events not yet acknowledged by the broker, and the age of the oldest of them. */
  async lag(): Promise<RelayLag> {
    const checkpoint = await this.checkpoints.get(this.name);
    const head = await this.store.headPosition();
    if (head <= checkpoint) return { eventsBehind: 0, secondsBehind: 0 };
    const [next] = await this.store.readAll({ fromPosition: checkpoint, limit: 1 });
    const age = next ? (this.now().getTime() - Date.parse(next.recordedAt)) / 1000 : 0;
    return { eventsBehind: head - checkpoint, secondsBehind: Math.max(0, Math.round(age * 10) / 10) };
  }
}
