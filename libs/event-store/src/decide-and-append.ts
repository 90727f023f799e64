import { currentSchemaVersion, type Decider, type DomainEvent } from '#domain';
import {
  WrongExpectedRevisionError,
  type AppendResult,
  type EventMetadata,
  type EventStore,
  type NewEvent,
  type RecordedEvent,
  type StreamAppend,
} from './port.js';

/**
 * The one envelope of decided events: a fresh id each (chosen before the append, so a retried
 * append is recognised), the type's current payload version, and the caller's metadata.
 */
export function envelopesOf(events: readonly { type: string; data: unknown }[], metadata: EventMetadata, newId: () => string): NewEvent[] {
  return events.map((e) => ({ id: newId(), type: e.type, schemaVersion: currentSchemaVersion(e.type), data: e.data, metadata }));
}

/** A stream's state as a decision sees it. */
export interface Loaded<S> {
  state: S;
  /** Revision of the stream's last event, -1 when the stream does not exist: the append's expected revision. */
  revision: number;
  /** Global position of the stream's last event (0 when there is none). */
  position: number;
}

/**
 * Events decided for other, new streams along with the main ones (e.g. one stream per approval
 * link): appended in the same transaction, all or nothing. Their metadata is the command's, with
 * the first main event as cause.
 */
export interface AlongsideAppend {
  stream: string;
  events: readonly { type: string; data: unknown }[];
  expectedRevision: StreamAppend['expectedRevision'];
}

export interface Decision<E> {
  events: E[];
  alongside?: AlongsideAppend[];
}

/** One command against one stream: how to load its state, what was already recorded for it, and the decision. */
export interface CommandPath<S, E extends { type: string; data: unknown }> {
  stream: string;
  load(): Promise<Loaded<S>>;
  /**
   * What this command already recorded (a retried request whose first attempt landed): returned
   * instead of deciding again. Asked after each load, so a write in between moves the revision.
   */
  landed?(): Promise<RecordedEvent[]>;
  /** Pure: the events to record on this state (none: nothing to do). */
  decide(state: S): E[] | Decision<E>;
}

export interface AppendDecisionOptions {
  /** Ids for new events (UUIDv7): chosen before the append, so a retried append is recognised. */
  newId: () => string;
  metadata: EventMetadata;
  /** Decisions tried again on the new state after another writer moved the stream (default 5). */
  attempts?: number;
  /** Wraps the store call (a tracing span). */
  around?: (stream: string, envelopes: readonly NewEvent[], append: () => Promise<AppendResult>) => Promise<AppendResult>;
}

export type Outcome<S, E> =
  | { kind: 'replayed'; loaded: Loaded<S>; landed: RecordedEvent[] }
  | { kind: 'unchanged'; loaded: Loaded<S> }
  | { kind: 'appended'; loaded: Loaded<S>; events: E[]; envelopes: NewEvent[]; result: AppendResult; attempt: number };

/**
 * The one write path: load → (already landed?) → decide → append with the common envelope at the
 * revision the decision was made on. Another writer in between (WrongExpectedRevision) means:
 * load and decide again on the new state, up to `attempts` times, then the conflict is the answer.
 */
export async function appendDecision<S, E extends { type: string; data: unknown }>(
  store: EventStore,
  path: CommandPath<S, E>,
  options: AppendDecisionOptions,
): Promise<Outcome<S, E>> {
  const attempts = options.attempts ?? 5;
  for (let attempt = 1; ; attempt++) {
    const loaded = await path.load();
    const landed = path.landed ? await path.landed() : [];
    if (landed.length > 0) return { kind: 'replayed', loaded, landed };
    const decided = path.decide(loaded.state);
    const { events, alongside = [] } = Array.isArray(decided) ? { events: decided } : decided;
    if (events.length === 0) return { kind: 'unchanged', loaded };
    const envelopes = envelopesOf(events, options.metadata, options.newId);
    const main: StreamAppend = { stream: path.stream, events: envelopes, expectedRevision: loaded.revision === -1 ? 'no_stream' : loaded.revision };
    const others: StreamAppend[] = alongside.map((a) => ({
      stream: a.stream,
      events: envelopesOf(a.events, { ...options.metadata, causationId: envelopes[0].id }, options.newId),
      expectedRevision: a.expectedRevision,
    }));
    const append = async () => (others.length === 0 ? store.append(main.stream, main.events, main) : (await store.appendAll([main, ...others]))[0]);
    try {
      const result = await (options.around ? options.around(path.stream, envelopes, append) : append());
      return { kind: 'appended', loaded, events, envelopes, result, attempt };
    } catch (err) {
      if (!(err instanceof WrongExpectedRevisionError) || attempt >= attempts) throw err;
    }
  }
}

/** Folds a whole stream with a decider's evolve (the small deciders' load). */
export async function loadWith<C, S, M>(store: EventStore, stream: string, decider: Decider<C, S, M>): Promise<Loaded<S>> {
  const history = await store.readStream(stream);
  const state = history.reduce((s, e) => decider.evolve(s, { type: e.type, data: e.data } as DomainEvent<M>), decider.initialState());
  const last = history[history.length - 1];
  return { state, revision: last ? last.revision : -1, position: last ? last.position : 0 };
}

export interface DecideAndAppendOptions {
  newId: () => string;
  metadata: EventMetadata;
  attempts?: number;
}

export interface Decided<S> {
  /** The state the decision was made on. */
  state: S;
  /** What was appended: empty when the decider had nothing to record. */
  recorded: RecordedEvent[];
}

/** `appendDecision` for a `Decider` over one stream (policy changes, audit checkpoints). */
export async function decideAndAppend<C, S, M>(
  store: EventStore,
  stream: string,
  decider: Decider<C, S, M>,
  command: C,
  options: DecideAndAppendOptions,
): Promise<Decided<S>> {
  const outcome = await appendDecision(store, { stream, load: () => loadWith(store, stream, decider), decide: (state) => decider.decide(command, state) }, options);
  if (outcome.kind !== 'appended') return { state: outcome.loaded.state, recorded: [] };
  const n = outcome.envelopes.length;
  const recorded = await store.readAll({ fromPosition: outcome.result.position - n, limit: n });
  return { state: outcome.loaded.state, recorded };
}
