import { Inject, Injectable } from '@nestjs/common';
import {
  evolve,
  initialModelState,
  invalid,
  modelStreamName,
  notFound,
  type ModelState,
  type VersionState,
} from '../../../../libs/domain/src/index.js';
import type { EventStore, RecordedEvent } from '../../../../libs/event-store/src/index.js';
import { EVENT_STORE } from '../infrastructure/tokens.js';
import { toModelEvent } from './command-service.js';

/** A point in history: an instant (events recorded at or before it) or a global position. */
export type Cut = { at: string } | { position: number };

/** One event as an auditor reads it. */
export interface EventSummary {
  position: number;
  revision: number;
  eventId: string;
  type: string;
  recordedAt: string;
  actor: string;
  reason?: string;
  correlationId: string;
  via?: string;
  data: unknown;
  hash?: string;
}

export function summarise(e: RecordedEvent): EventSummary {
  return {
    position: e.position,
    revision: e.revision,
    eventId: e.id,
    type: e.type,
    recordedAt: e.recordedAt,
    actor: e.metadata.actor.sub,
    ...(e.metadata.reason !== undefined ? { reason: e.metadata.reason } : {}),
    correlationId: e.metadata.correlationId,
    ...(e.metadata.via ? { via: e.metadata.via } : {}),
    data: e.data,
    ...(e.hash ? { hash: e.hash } : {}),
  };
}

/** Parses an RFC 3339 instant (with an explicit offset) to its canonical UTC form. */
export function parseInstant(value: string, field: string): string {
  const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;
  const ms = Date.parse(value);
  if (!rfc3339.test(value) || Number.isNaN(ms)) {
    throw invalid('INVALID_INSTANT', `${field} '${value}' is not an RFC 3339 instant`, [
      { field, rule: 'rfc3339', message: 'expected e.g. 2026-03-03T14:00:00Z or 2026-03-03T15:00:00+01:00' },
    ]);
  }
  return new Date(ms).toISOString();
}

export interface HistoricState {
  model: string;
  cut: { at?: string; position?: number };
  /** The last event folded in: the state is exactly "after this event". */
  lastEvent: EventSummary;
  state: ModelState;
  /** Every event folded in, oldest first. */
  events: RecordedEvent[];
}

/**
 * Time travel straight from the event store: a model's stream is cut at an instant or position
 * and folded through the domain's `evolve`, so the answer does not depend on any projection.
 * An instant cut takes the stream's events in order while recordedAt <= the instant (appends are
 * serialised and stamped inside the append, so recordedAt grows with position on one clock).
 */
@Injectable()
export class AuditHistory {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async events(model: string, cut?: Cut): Promise<RecordedEvent[]> {
    const all = await this.store.readStream(modelStreamName(model), cut && 'position' in cut ? { toPosition: cut.position } : {});
    if (!cut || !('at' in cut)) return all;
    let n = 0;
    while (n < all.length && all[n].recordedAt <= cut.at) n++;
    return all.slice(0, n);
  }

  async stateAt(model: string, cut?: Cut): Promise<HistoricState> {
    const events = await this.events(model, cut);
    if (events.length === 0) {
      const when = !cut ? 'now' : 'at' in cut ? `at ${cut.at}` : `at position ${cut.position}`;
      throw notFound('MODEL_NOT_FOUND_AT', `model '${model}' did not exist ${when}`, { model, ...(cut ?? {}) });
    }
    const state = events.map(toModelEvent).reduce(evolve, initialModelState(model));
    return { model, cut: cut ?? {}, lastEvent: summarise(events[events.length - 1]), state, events };
  }
}

/** The version a stage reference meant at that time: the one most recently moved into the stage. */
export function latestInStage(state: ModelState, stage: string): VersionState | undefined {
  return Object.values(state.versions)
    .filter((v) => v.stage === stage)
    .sort((a, b) => (a.stageChangedAt < b.stageChangedAt ? 1 : a.stageChangedAt > b.stageChangedAt ? -1 : b.revision - a.revision))[0];
}

/** The state as an auditor reads it: versions as a list, no internal indexes. */
export function presentState(state: ModelState) {
  const { exists: _exists, digests: _digests, versions, ...rest } = state;
  return { ...rest, versions: Object.values(versions) };
}
