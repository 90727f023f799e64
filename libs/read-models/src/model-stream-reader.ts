import { fold, initialModelState, modelStreamName, toModelEvent, type ModelState } from '#domain';
import type { EventStore, RecordedEvent, StreamCutter } from '#event-store';
import type { SnapshotStore } from './snapshots.js';

/** A point in a stream's history: an instant (events recorded at or before it) or a global position. */
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

/** A model's state exactly after one event of its stream. */
export interface StreamState {
  state: ModelState;
  /** The last event folded in. */
  lastEvent: EventSummary;
  revision: number;
  position: number;
}

interface PersistedSnapshot {
  format: number;
  state: ModelState;
  lastEvent: EventSummary;
}

export const SNAPSHOT_EVERY = 1000;
/**
 * The shape of a persisted snapshot's state. Bump it whenever `fold`/`evolve`, the upcasters or
 * `ModelState` change what a revision folds to: rows of another format are ignored and rewritten.
 */
export const SNAPSHOT_FORMAT = 1;
/** Defaults of the in-process caches (ModelStreamReader's `cache` option). */
export const READER_CACHE_DEFAULTS = { snapshots: 256, answers: 64 } as const;

export interface ReaderCacheOptions {
  /** Snapshots (folded states) kept in process, over all streams; least recently used streams go first. */
  snapshots?: number;
  /** Recent answers (state at a stream revision) kept in process, least recently used first. */
  answers?: number;
}

/**
 * The one reader of model streams, for the command path (a model's current state on a cold
 * cache) and for audit time travel (its state at an instant or position): the stream is cut
 * (StreamCutter) and folded through the domain's `fold` from the nearest snapshot.
 *
 * Snapshots are taken every SNAPSHOT_EVERY revisions of a stream, kept in process and persisted
 * (SnapshotStore, a rebuildable cache, never the source of truth): events are immutable, so the
 * state after revisions 0..r never changes, and a question folds at most SNAPSHOT_EVERY events.
 * An instant cut includes every event up to the last one recorded at or before the instant
 * (appends are serialised and stamped inside the append, so on one clock recordedAt grows with
 * position).
 */
export class ModelStreamReader {
  /** By stream, oldest first; the Map's order is the streams' recency (least recent first). */
  private readonly snapshots = new Map<string, StreamState[]>();
  private snapshotCount = 0;
  /** The last states answered, by stream and revision (least recent first). */
  private readonly answers = new Map<string, StreamState>();
  private readonly limits: Required<ReaderCacheOptions>;

  constructor(
    private readonly store: EventStore,
    private readonly cutter: StreamCutter,
    private readonly persisted?: SnapshotStore,
    cache: ReaderCacheOptions = {},
  ) {
    this.limits = { ...READER_CACHE_DEFAULTS, ...cache };
  }

  /** What the in-process caches hold now (for tests and metrics). */
  cached(): { snapshots: number; streams: number; answers: number } {
    return { snapshots: this.snapshotCount, streams: this.snapshots.size, answers: this.answers.size };
  }

  /** The stream's events up to the cut, oldest first (for questions that need the history). */
  async events(model: string, cut?: Cut): Promise<RecordedEvent[]> {
    const all = await this.store.readStream(modelStreamName(model), cut && 'position' in cut ? { toPosition: cut.position } : {});
    if (!cut || !('at' in cut)) return all;
    let n = all.length;
    while (n > 0 && all[n - 1].recordedAt > cut.at) n--;
    return all.slice(0, n);
  }

  /** The state after the last event at or before the cut (now, without one); undefined when the stream had no event then. */
  async stateAt(model: string, cut?: Cut): Promise<StreamState | undefined> {
    const stream = modelStreamName(model);
    const last = await this.cutter.lastInStream(stream, cut ? ('at' in cut ? { at: cut.at } : { position: cut.position }) : {});
    if (!last) return undefined;
    // The state at a revision never changes (events are immutable): a repeated question is one lookup.
    const answerKey = `${stream}\u0000${last.revision}`;
    const known = this.answers.get(answerKey);
    if (known) {
      this.answers.delete(answerKey);
      this.answers.set(answerKey, known);
      return known;
    }
    let base: StreamState | undefined;
    const held = this.snapshots.get(stream);
    if (held) {
      this.snapshots.delete(stream);
      this.snapshots.set(stream, held);
      for (const s of held) if (s.position <= last.position) base = s;
    }
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
    const answer: StreamState = { state, lastEvent, revision: last.revision, position: last.position };
    this.answers.set(answerKey, answer);
    while (this.answers.size > this.limits.answers) this.answers.delete(this.answers.keys().next().value!);
    return answer;
  }

  private remember(stream: string, snap: StreamState, persist = true): void {
    // Written in the background: a lost write only means a later cold question folds more.
    if (persist && this.persisted) {
      void this.persisted
        .save(stream, snap.revision, snap.position, { format: SNAPSHOT_FORMAT, state: snap.state, lastEvent: snap.lastEvent } satisfies PersistedSnapshot)
        .catch(() => undefined);
    }
    if (this.limits.snapshots <= 0) return;
    let list = this.snapshots.get(stream);
    if (!list) {
      list = [];
      this.snapshots.set(stream, list);
    }
    if (list.some((s) => s.revision === snap.revision)) return;
    list.push(snap);
    list.sort((a, b) => a.position - b.position);
    this.snapshotCount++;
    // Over the cap: the least recently used streams' snapshots go first; within the stream being
    // remembered, its oldest (a later question folds from the persisted copy, or from further back).
    for (const [other, states] of this.snapshots) {
      if (this.snapshotCount <= this.limits.snapshots) break;
      if (other === stream) continue;
      this.snapshots.delete(other);
      this.snapshotCount -= states.length;
    }
    while (this.snapshotCount > this.limits.snapshots && list.length > 0) {
      list.shift();
      this.snapshotCount--;
    }
  }
}
