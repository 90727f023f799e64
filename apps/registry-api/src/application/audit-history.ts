import { Inject, Injectable, Optional } from '@nestjs/common';
import {
  fold,
  initialModelState,
  invalid,
  modelStreamName,
  notFound,
  toModelEvent,
  type ModelState,
  type VersionState,
} from '#domain';
import type { EventStore, RecordedEvent, StreamCutter } from '#event-store';
import type { SnapshotStore } from '#read-models';
import { EVENT_STORE, SNAPSHOT_STORE, STREAM_CUTTER } from '../infrastructure/tokens.js';
import { parseRfc3339 } from '../use-cases/shared/instant.js';

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

interface PersistedSnapshot {
  format: number;
  state: ModelState;
  lastEvent: EventSummary;
}

interface Snapshot {
  revision: number;
  position: number;
  state: ModelState;
  lastEvent: EventSummary;
}

export const SNAPSHOT_EVERY = 1000;
/**
 * The shape of a persisted snapshot's state. Bump it whenever `fold`/`evolve`, the upcasters or
 * `ModelState` change what a revision folds to: rows of another format are ignored and rewritten.
 */
export const SNAPSHOT_FORMAT = 1;
const SNAPSHOT_STREAMS = 256;
const RECENT_ANSWERS = 64;

/**
 * Time travel straight from the event store: a model's stream is cut at an instant or position
 * and folded through the domain's `fold`, so the answer does not depend on any projection.
 * An instant cut includes every event of the stream up to the last one recorded at or before the
 * instant (appends are serialised and stamped inside the append, so on one clock recordedAt grows
 * with position).
 *
 * stateAt keeps in-process snapshots every 1000 revisions of a stream (states folded by `fold`
 * from the stored events; events are immutable, so a snapshot of revisions 0..r stays valid):
 * a repeated question about a long stream replays at most 1000 events.
 */
@Injectable()
export class AuditHistory {
  private readonly snapshots = new Map<string, Snapshot[]>();
  /** The last states answered, by stream and revision. */
  private readonly answers = new Map<string, { state: ModelState; lastEvent: EventSummary }>();

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(STREAM_CUTTER) private readonly cutter: StreamCutter,
    /** Persisted snapshots (model_snapshots): a cold question in a fresh process folds at most SNAPSHOT_EVERY events. */
    @Optional() @Inject(SNAPSHOT_STORE) private readonly persisted?: SnapshotStore,
  ) {}

  async events(model: string, cut?: Cut): Promise<RecordedEvent[]> {
    const all = await this.store.readStream(modelStreamName(model), cut && 'position' in cut ? { toPosition: cut.position } : {});
    if (!cut || !('at' in cut)) return all;
    let n = all.length;
    while (n > 0 && all[n - 1].recordedAt > cut.at) n--;
    return all.slice(0, n);
  }

  private notFound(model: string, cut?: Cut): never {
    const when = !cut ? 'now' : 'at' in cut ? `at ${cut.at}` : `at position ${cut.position}`;
    throw notFound('MODEL_NOT_FOUND_AT', `model '${model}' did not exist ${when}`, { model, ...(cut ?? {}) });
  }

  /** The state plus every event up to the cut (for questions that need the history, not just the state). */
  async historyAt(model: string, cut?: Cut): Promise<HistoricEvents> {
    const events = await this.events(model, cut);
    if (events.length === 0) this.notFound(model, cut);
    const state = fold(initialModelState(model), events.map(toModelEvent));
    return { model, cut: cut ?? {}, lastEvent: summarise(events[events.length - 1]), state, eventCount: events.length, events };
  }

  async stateAt(model: string, cut?: Cut): Promise<HistoricState> {
    const stream = modelStreamName(model);
    const last = await this.cutter.lastInStream(stream, cut ? ('at' in cut ? { at: cut.at } : { position: cut.position }) : {});
    if (!last) this.notFound(model, cut);
    // The state at a revision never changes (events are immutable): a repeated question is one lookup.
    const answerKey = `${stream}\u0000${last.revision}`;
    const known = this.answers.get(answerKey);
    if (known) return { model, cut: cut ?? {}, lastEvent: known.lastEvent, state: known.state, eventCount: last.revision + 1 };
    const snaps = this.snapshots.get(stream) ?? [];
    let base: Snapshot | undefined;
    for (const s of snaps) if (s.position <= last.position) base = s;
    if (this.persisted && (!base || last.revision - base.revision >= SNAPSHOT_EVERY)) {
      const stored = await this.persisted.latest<PersistedSnapshot>(stream, last.position).catch(() => undefined);
      // A row written by a build that folds differently is not this build's answer: ignored (and overwritten).
      if (stored && stored.doc.format === SNAPSHOT_FORMAT && (!base || stored.revision > base.revision)) {
        base = { revision: stored.revision, position: stored.position, state: stored.doc.state, lastEvent: stored.doc.lastEvent };
        this.remember(stream, base, false);
      }
    }
    const tail = base?.revision === last.revision ? [] : await this.store.readStream(stream, { fromRevision: base ? base.revision + 1 : 0, toPosition: last.position });
    let state = base?.state ?? initialModelState(model);
    // Folded in runs that end at snapshot boundaries: each run is linear, and a remembered
    // snapshot is a state no later fold changes (fold copies before applying).
    let runStart = 0;
    for (const [i, e] of tail.entries()) {
      const boundary = (e.revision + 1) % SNAPSHOT_EVERY === 0;
      if (!boundary && i < tail.length - 1) continue;
      state = fold(state, tail.slice(runStart, i + 1).map(toModelEvent));
      runStart = i + 1;
      if (boundary) this.remember(stream, { revision: e.revision, position: e.position, state, lastEvent: summarise(e) });
    }
    const lastEvent = tail.length ? summarise(tail[tail.length - 1]) : base!.lastEvent;
    this.answers.set(answerKey, { state, lastEvent });
    if (this.answers.size > RECENT_ANSWERS) this.answers.delete(this.answers.keys().next().value!);
    return { model, cut: cut ?? {}, lastEvent, state, eventCount: last.revision + 1 };
  }

  private remember(stream: string, snap: Snapshot, persist = true): void {
    // Written in the background: a lost write only means a later cold question folds more.
    if (persist && this.persisted) void this.persisted.save(stream, snap.revision, snap.position, { format: SNAPSHOT_FORMAT, state: snap.state, lastEvent: snap.lastEvent } satisfies PersistedSnapshot).catch(() => undefined);
    let list = this.snapshots.get(stream);
    if (!list) {
      if (this.snapshots.size >= SNAPSHOT_STREAMS) this.snapshots.delete(this.snapshots.keys().next().value!);
      list = [];
      this.snapshots.set(stream, list);
    }
    if (list.some((s) => s.revision === snap.revision)) return;
    list.push(snap);
    list.sort((a, b) => a.position - b.position);
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
