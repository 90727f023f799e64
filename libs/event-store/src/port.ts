import { DomainError } from '#domain';

export interface EventActor {
  sub: string;
  scopes: string[];
}

/** Who/why/where-from of an event: everything in the envelope that the caller supplies. */
export interface EventMetadata {
  actor: EventActor;
  correlationId: string;
  causationId?: string;
  reason?: string;
  traceparent?: string;
  /** How the command arrived when it was not the plain API (e.g. "approval-link"). */
  via?: string;
  /**
   * Hash of the request's Idempotency-Key (actor, method, path, key), written in the same
   * transaction as the events: after a crash, "did that request land?" is a lookup.
   */
  idempotencyKey?: string;
}

/**
 * The envelope of a stored event: what it is and where it sits. The one definition: recorded
 * events, chain rows, the fields a hash covers and export records all extend it.
 */
export interface EventEnvelope {
  /** UUIDv7, chosen by the writer so a retried append is recognised. */
  id: string;
  type: string;
  stream: string;
  /** Place in its stream, from 0. */
  revision: number;
  /** Place in the global order, from 1, gapless. */
  position: number;
  recordedAt: string;
  /** Version of the payload's shape (see upcasting.ts in the domain). */
  schemaVersion: number;
}

/** The audit hash chain's link of an event (docs/AUDIT.md). */
export interface ChainLink {
  /** Hash of the event at position - 1 (64 zeros for position 1). */
  prevHash: string;
  /** SHA-256 (hex) of the RFC 8785 canonical envelope including prevHash. */
  hash: string;
}

/** What a writer supplies; the store assigns the rest of the envelope (stream from the call, revision, position, time). */
export interface NewEvent extends Pick<EventEnvelope, 'id' | 'type' | 'schemaVersion'> {
  data: unknown;
  metadata: EventMetadata;
}

/** An event as read: `schemaVersion` is the type's current version once upcast. */
export interface RecordedEvent<D = unknown> extends EventEnvelope, Partial<ChainLink> {
  data: D;
  metadata: EventMetadata;
  /** The version stored (and hashed), present only when an upcaster changed the event on read. */
  storedSchemaVersion?: number;
}

/** `no_stream`: the stream must not exist yet; `any`: no check; a number: the current last revision. */
export type ExpectedRevision = number | 'no_stream' | 'any';

export interface AppendResult {
  /** Revision of the last appended event in its stream. */
  revision: number;
  /** Global position of the last appended event. */
  position: number;
}

/** One stream's part of a multi-stream append. */
export interface StreamAppend {
  stream: string;
  events: readonly NewEvent[];
  expectedRevision: ExpectedRevision;
}

export interface ReadStreamOptions {
  fromRevision?: number;
  /** Include only events at or before this global position (time travel). */
  toPosition?: number;
}

export interface ReadAllOptions {
  /** Exclusive: events with position > fromPosition. */
  fromPosition?: number;
  limit?: number;
}

export interface EventStore {
  append(stream: string, events: readonly NewEvent[], options: { expectedRevision: ExpectedRevision }): Promise<AppendResult>;
  /**
   * Several streams in one transaction, in the order given: all land or none (each checked
   * against its expected revision). One result per stream.
   */
  appendAll(appends: readonly StreamAppend[]): Promise<AppendResult[]>;
  readStream(stream: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  /** The distinct streams written at positions in (fromPosition, toPosition]: what a cache must forget. */
  streamsBetween(fromPosition: number, toPosition: number): Promise<string[]>;
  /** The distinct streams holding at least one event of this type (found by the database, no event is read into the process). */
  streamsWithEventType(type: string): Promise<string[]>;
  /** Highest position visible to readers (0 when empty). */
  headPosition(): Promise<number>;
  /** The events appended under this idempotency key (metadata.idempotencyKey), in position order. */
  findByIdempotencyKey(key: string): Promise<RecordedEvent[]>;
  /** Registers a callback run after each local append commits; returns an unsubscribe function. */
  onAppended(listener: () => void): () => void;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** One stored event as the hash chain sees it (never upcast): the envelope, its link, and the canonical texts of data and metadata. */
export interface ChainRow extends EventEnvelope, ChainLink {
  /** RFC 8785 canonical JSON of the payload. */
  dataJcs: string;
  metadataJcs: string;
}

/**
 * Port: sequential access to the stored chain exactly as stored (never upcast), for verification
 * and exports. Bound by DI to the store that has it (CHAIN_READER); not every EventStore must.
 */
export interface ChainReader {
  /** Rows with position > fromPosition (and <= toPosition when given), in position order. */
  readChain(options: { fromPosition: number; toPosition?: number; limit: number }): Promise<ChainRow[]>;
  /** The rows at these positions, in position order. */
  readChainAt(positions: readonly number[]): Promise<ChainRow[]>;
}

/** A point in a stream's history: up to a global position, or up to an instant (ISO UTC, recordedAt). */
export interface StreamCut {
  at?: string;
  position?: number;
}

/** Port: where a stream stands at a cut, without reading the stream (audit time travel; STREAM_CUTTER). */
export interface StreamCutter {
  /**
   * The last event of `stream` at or before the cut: the highest position <= `position`, or the
   * highest position recorded at or before `at`. Undefined when there is none.
   */
  lastInStream(stream: string, cut: StreamCut): Promise<{ position: number; revision: number } | undefined>;
}

export class WrongExpectedRevisionError extends DomainError {
  constructor(stream: string, expected: ExpectedRevision, actual: number) {
    super(
      'CONCURRENCY_CONFLICT',
      'conflict',
      `stream '${stream}' is at revision ${actual}, not ${String(expected)}: another write landed first; re-read the current state and retry`,
      [],
      { stream, expectedRevision: expected, actualRevision: actual },
    );
  }
}

export class DuplicateEventIdError extends DomainError {
  constructor(id: string) {
    super('DUPLICATE_EVENT_ID', 'conflict', `event id ${id} was already appended with different content or position`, [], { eventId: id });
  }
}
