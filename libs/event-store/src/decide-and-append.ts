import { EVENT_SCHEMA_VERSION, type Decider, type DomainEvent } from '#domain';
import { WrongExpectedRevisionError, type EventMetadata, type EventStore, type NewEvent, type RecordedEvent } from './port.js';

/**
 * The one envelope of decided events: a fresh id each (chosen before the append, so a retried
 * append is recognised), the payload version, and the caller's metadata.
 */
export function envelopesOf(events: readonly { type: string; data: unknown }[], metadata: EventMetadata, newId: () => string): NewEvent[] {
  return events.map((e) => ({ id: newId(), type: e.type, schemaVersion: EVENT_SCHEMA_VERSION, data: e.data, metadata }));
}

export interface DecideAndAppendOptions {
  /** Ids for new events (UUIDv7): chosen before the append, so a retried append is recognised. */
  newId: () => string;
  metadata: EventMetadata;
  /** Decisions tried again on the new state after another writer moved the stream (default 5). */
  attempts?: number;
}

export interface Decided<S> {
  /** The state the decision was made on. */
  state: S;
  /** What was appended: empty when the decider had nothing to record. */
  recorded: RecordedEvent[];
}

/**
 * The write path of the small deciders (policy changes, audit checkpoints): load the stream, fold
 * it with the decider's evolve, decide, and append at the revision the decision was made on, with
 * the same envelope as every event. Another writer in between (WrongExpectedRevision) means: decide
 * again on the new state.
 */
export async function decideAndAppend<C, S, M>(
  store: EventStore,
  stream: string,
  decider: Decider<C, S, M>,
  command: C,
  options: DecideAndAppendOptions,
): Promise<Decided<S>> {
  const attempts = options.attempts ?? 5;
  for (let attempt = 1; ; attempt++) {
    const history = await store.readStream(stream);
    const state = history.reduce((s, e) => decider.evolve(s, { type: e.type, data: e.data } as DomainEvent<M>), decider.initialState());
    const events = decider.decide(command, state);
    if (events.length === 0) return { state, recorded: [] };
    const envelopes = envelopesOf(events, options.metadata, options.newId);
    const last = history[history.length - 1];
    try {
      const result = await store.append(stream, envelopes, { expectedRevision: last ? last.revision : 'no_stream' });
      const recorded = await store.readAll({ fromPosition: result.position - envelopes.length, limit: envelopes.length });
      return { state, recorded };
    } catch (err) {
      if (!(err instanceof WrongExpectedRevisionError) || attempt >= attempts) throw err;
    }
  }
}
