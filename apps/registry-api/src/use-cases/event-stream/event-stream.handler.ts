import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { MODEL_NAME_PATTERN, MODEL_EVENT_TYPES, isModelStream } from '#domain';
import { subscribeToAll, type EventStore, type RecordedEvent, type Subscription } from '#event-store';
import { CLOUDEVENT_TYPES, VersionFactsLookup, cloudEventType, modelOfStream } from '#relay';
import { ProblemException } from '../../http/problem.js';
import { EVENT_STORE } from '../../infrastructure/tokens.js';

export interface StreamFilter {
  /** Stored event types (CloudEvents types are translated). */
  types?: Set<string>;
  model?: string;
  fromPosition: number;
}

const HEARTBEAT_MS = 15_000;
/** setTimeout fires at once for delays past 2^31-1 ms; longer waits are taken in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

type OpenStream = { sub: Subscription; res: ServerResponse; timer: NodeJS.Timeout; expiry?: NodeJS.Timeout };

const badRequest = (code: string, detail: string, field: string, rule: string, message: string) =>
  new ProblemException({ status: 400, code, detail, errors: [{ field, rule, message }] });

/** Parses `types`, `model` and `Last-Event-ID`; bad input is a 400 naming the field, like the validation pipe's. */
export function parseStreamFilter(query: { types?: string; model?: string }, lastEventId: string | undefined): StreamFilter {
  let types: Set<string> | undefined;
  if (query.types !== undefined && query.types !== '') {
    const byCloudType = new Map(Object.entries(CLOUDEVENT_TYPES).map(([stored, ce]) => [ce, stored]));
    const unknown: string[] = [];
    types = new Set();
    for (const t of query.types.split(',').map((s) => s.trim()).filter(Boolean)) {
      const stored = (MODEL_EVENT_TYPES as readonly string[]).includes(t) ? t : byCloudType.get(t);
      if (stored) types.add(stored);
      else unknown.push(t);
    }
    if (unknown.length) {
      throw badRequest(
        'INVALID_EVENT_TYPES',
        `unknown event type(s): ${unknown.join(', ')}`,
        'types',
        'enum',
        `comma-separated CloudEvents types (e.g. ${CLOUDEVENT_TYPES.VersionPromoted}) or stored types (e.g. VersionPromoted)`,
      );
    }
  }
  if (query.model !== undefined && !MODEL_NAME_PATTERN.test(query.model)) {
    throw badRequest('INVALID_MODEL_NAME', `model '${query.model}' is not a valid model name`, 'model', 'pattern', `must match ${MODEL_NAME_PATTERN.source}`);
  }
  let fromPosition = 0;
  if (lastEventId !== undefined && lastEventId !== '') {
    if (!/^\d{1,15}$/.test(lastEventId)) {
      throw badRequest(
        'INVALID_LAST_EVENT_ID',
        `Last-Event-ID '${lastEventId}' is not an event position`,
        'Last-Event-ID',
        'integer',
        'must be the id (position) of an event received from this stream',
      );
    }
    fromPosition = Number(lastEventId);
  }
  return { ...(types ? { types } : {}), ...(query.model ? { model: query.model } : {}), fromPosition };
}

/**
 * Server-Sent Events of the same CloudEvents the relay publishes, straight from the event store
 * (no Kafka needed). Each event's SSE id is its position, so a client reconnecting with
 * Last-Event-ID resumes exactly after the last event it got.
 */
@Injectable()
export class EventStreamHandler implements OnModuleDestroy {
  private readonly facts: VersionFactsLookup;
  private readonly open = new Set<OpenStream>();

  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {
    this.facts = new VersionFactsLookup(store);
  }

  /**
   * A Last-Event-ID past the store's head names no event this server ever sent (a client bug, or
   * a store restored from an older backup). Following from there would silently skip every event
   * up to it, so it is refused instead of waited on. 422, not 400: the header is well-formed, it
   * is the store's state that refuses it (like a cursor naming nothing).
   */
  async checkResumePoint(filter: StreamFilter): Promise<void> {
    if (filter.fromPosition === 0) return;
    const head = await this.store.headPosition();
    if (filter.fromPosition <= head) return;
    throw new ProblemException({
      status: 422,
      code: 'LAST_EVENT_ID_BEYOND_HEAD',
      detail: `Last-Event-ID ${filter.fromPosition} is past the last event (position ${head}); no event with that id was ever sent`,
      errors: [{ field: 'Last-Event-ID', rule: 'max', message: `must be at most ${head}, the position of the last event` }],
      head,
      next: 'Reconnect without Last-Event-ID to replay from the beginning, or with the id of the last event you actually received.',
    });
  }

  private matches(e: RecordedEvent, f: StreamFilter): boolean {
    if (!isModelStream(e.stream)) return false; // internal streams are not lifecycle events
    if (f.types && !f.types.has(e.type)) return false;
    if (f.model && modelOfStream(e.stream) !== f.model) return false;
    return true;
  }

  /**
   * `expiresAtMs`: when the caller's token expires. The stream then gets a `token-expired` event
   * saying so and ends: a token must not keep delivering events past its lifetime. The client
   * reconnects with a fresh token and Last-Event-ID.
   */
  stream(res: ServerResponse, filter: StreamFilter, pollMs = 1000, expiresAtMs?: number): void {
    const write = (chunk: string) =>
      new Promise<void>((resolve) => {
        if (res.destroyed || res.writableEnded || res.write(chunk)) resolve();
        else res.once('drain', () => resolve());
      });
    let expired = false;
    void write('retry: 2000\n\n');
    const sub = subscribeToAll(this.store, { fromPosition: filter.fromPosition, pollMs, batchSize: 200 }, async (events) => {
      for (const e of events) {
        if (res.destroyed || expired) return;
        if (!this.matches(e, filter)) continue;
        const ce = (await this.facts.toCloudEvents([e]))[0];
        await write(`id: ${e.position}\nevent: ${cloudEventType(e)}\ndata: ${JSON.stringify(ce)}\n\n`);
      }
    });
    // Comment lines keep proxies from closing an idle stream.
    const timer = setInterval(() => void write(': keep-alive\n\n'), HEARTBEAT_MS);
    const entry: OpenStream = { sub, res, timer };
    this.open.add(entry);
    res.on('close', () => void this.close(entry));
    if (expiresAtMs !== undefined) {
      const expire = () => {
        const left = expiresAtMs - Date.now();
        if (left > 0) {
          entry.expiry = setTimeout(expire, Math.min(left, MAX_TIMER_MS));
          return;
        }
        expired = true;
        const data = JSON.stringify({ code: 'TOKEN_EXPIRED', detail: 'the bearer token of this stream expired; reconnect with a new token and Last-Event-ID' });
        // Ended at once, not after a drain: a client that stopped reading must not hold the stream open.
        res.end(`: token expired, closing\nevent: token-expired\ndata: ${data}\n\n`);
        void this.close(entry);
      };
      expire();
    }
  }

  private async close(entry: OpenStream): Promise<void> {
    if (!this.open.delete(entry)) return;
    clearInterval(entry.timer);
    clearTimeout(entry.expiry);
    await entry.sub.stop();
    if (!entry.res.writableEnded) entry.res.end();
  }

  /** Ends open streams so the server can close (clients reconnect with Last-Event-ID). */
  async onModuleDestroy(): Promise<void> {
    await Promise.all([...this.open].map((e) => this.close(e)));
  }
}
