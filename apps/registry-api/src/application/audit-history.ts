import { Injectable } from '@nestjs/common';
import { fold, initialModelState, invalid, notFound, toModelEvent, type ModelState, type VersionState } from '#domain';
import type { RecordedEvent } from '#event-store';
import { ModelStreamReader, summarise, type Cut, type EventSummary } from '#read-models';
import { parseRfc3339 } from '../use-cases/shared/instant.js';

export { summarise, SNAPSHOT_EVERY, SNAPSHOT_FORMAT, type Cut, type EventSummary } from '#read-models';

/** Parses an RFC 3339 instant (with an explicit offset, every field in range) to its canonical UTC form. */
export function parseInstant(value: string, field: string): string {
  const parsed = parseRfc3339(value);
  if (!parsed.ok) {
    throw invalid('INVALID_INSTANT', `${field} is not an RFC 3339 instant: ${parsed.why}`, [{ field, rule: 'rfc3339', message: parsed.why }]);
  }
  return parsed.date.toISOString();
}

export interface HistoricState {
  model: string;
  cut: { at?: string; position?: number };
  /** The last event folded in: the state is exactly "after this event". */
  lastEvent: EventSummary;
  state: ModelState;
  /** Number of events folded into the state (from a cached snapshot or the store). */
  eventCount: number;
}

export interface HistoricEvents extends HistoricState {
  /** Every event folded in, oldest first. */
  events: RecordedEvent[];
}

/**
 * Time travel straight from the event store, as an auditor asks it: a model's stream cut at an
 * instant or position and folded through the domain's `fold` (ModelStreamReader, with its
 * snapshots), so the answer does not depend on any projection.
 */
@Injectable()
export class AuditHistory {
  constructor(private readonly reader: ModelStreamReader) {}

  private notFound(model: string, cut?: Cut): never {
    const when = !cut ? 'now' : 'at' in cut ? `at ${cut.at}` : `at position ${cut.position}`;
    throw notFound('MODEL_NOT_FOUND_AT', `model '${model}' did not exist ${when}`, { model, ...(cut ?? {}) });
  }

  events(model: string, cut?: Cut): Promise<RecordedEvent[]> {
    return this.reader.events(model, cut);
  }

  /** The state plus every event up to the cut (for questions that need the history, not just the state). */
  async historyAt(model: string, cut?: Cut): Promise<HistoricEvents> {
    const events = await this.reader.events(model, cut);
    if (events.length === 0) this.notFound(model, cut);
    const state = fold(initialModelState(model), events.map(toModelEvent));
    return { model, cut: cut ?? {}, lastEvent: summarise(events[events.length - 1]), state, eventCount: events.length, events };
  }

  async stateAt(model: string, cut?: Cut): Promise<HistoricState> {
    const found = await this.reader.stateAt(model, cut);
    if (!found) this.notFound(model, cut);
    return { model, cut: cut ?? {}, lastEvent: found.lastEvent, state: found.state, eventCount: found.revision + 1 };
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
