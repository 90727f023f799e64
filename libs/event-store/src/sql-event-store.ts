import type { SqlDb, SqlExecutor, SqlValue } from '#persistence';
import { EVENT_UPCASTERS, upcast, type UpcasterRegistry } from '#domain';
import {
  DuplicateEventIdError,
  WrongExpectedRevisionError,
  type AppendResult,
  type ChainReader,
  type ChainRow,
  type EventStore,
  type ExpectedRevision,
  type NewEvent,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type StreamAppend,
  type StreamCut,
  type StreamCutter,
} from './port.js';
import { GENESIS_HASH, hashInput, sha256Hex } from './hash-chain.js';
import { canonicalize } from './jcs.js';

export interface Clock {
  now(): Date;
}

export interface StoreOptions {
  /** Upcasters applied on read; default: the domain's EVENT_UPCASTERS. */
  upcasters?: UpcasterRegistry;
}

interface EventRow {
  position: number;
  id: string;
  stream: string;
  revision: number;
  type: string;
  schema_version: number;
  data: unknown;
  metadata: unknown;
  recorded_at: string;
  prev_hash: string;
  hash: string;
  [key: string]: unknown;
}

const COLUMNS = 'position, id, stream, revision, type, schema_version, data, metadata, recorded_at, prev_hash, hash';

/**
 * The event store over SQL. Appends are serialised — SQLite by its single writer, PostgreSQL by
 * a transaction-level advisory lock — so positions are gapless and commit in position order: a
 * catch-up reader that has seen position N can never later find a committed event below N.
 */
export abstract class SqlEventStore implements EventStore, ChainReader, StreamCutter {
  private readonly listeners = new Set<() => void>();

  protected constructor(
    protected readonly db: SqlDb,
    protected readonly clock: Clock,
    /** Applied by readStream/readAll; readChain returns the stored rows as they are. */
    private readonly upcasters: UpcasterRegistry = EVENT_UPCASTERS,
  ) {}

  protected abstract lockForAppend(tx: SqlExecutor): Promise<void>;
  protected abstract encodeJson(value: unknown): SqlValue;
  protected abstract decodeJson(value: unknown): unknown;
  /** The RFC 8785 text of a stored JSON column (SQLite keeps the canonical text it was given). */
  protected abstract canonicalText(value: unknown): string;
  /** SQL expression for metadata.idempotencyKey, matching the store's expression index. */
  protected abstract readonly idempotencyKeyExpr: string;
  /** True when the events table has `data_jcs`/`metadata_jcs` (PostgreSQL, migration 6): the hashed texts are stored there too. */
  protected readonly storesCanonicalText: boolean = false;
  /** Runs inside the append transaction after the insert. */
  protected async beforeCommit(_tx: SqlExecutor): Promise<void> {}

  async append(stream: string, events: readonly NewEvent[], options: { expectedRevision: ExpectedRevision }): Promise<AppendResult> {
    const [result] = await this.appendInOneTransaction([{ stream, events, expectedRevision: options.expectedRevision }]);
    return result;
  }

  appendAll(appends: readonly StreamAppend[]): Promise<AppendResult[]> {
    return this.appendInOneTransaction(appends);
  }

  /** Both entry points share it (and stay separate, so wrapping one never wraps the other). */
  private async appendInOneTransaction(appends: readonly StreamAppend[]): Promise<AppendResult[]> {
    if (appends.length === 0 || appends.some((a) => a.events.length === 0)) throw new Error('append needs at least one event');
    const results = await this.db.transaction(async (tx) => {
      await this.lockForAppend(tx);
      const out: { revision: number; position: number; appended: boolean }[] = [];
      // Later parts see the earlier ones' rows: same transaction, so positions and the chain continue.
      for (const a of appends) out.push(await this.appendInTx(tx, a.stream, a.events, a.expectedRevision));
      await this.beforeCommit(tx);
      return out;
    });
    if (results.some((r) => r.appended)) this.notifyListeners();
    return results.map((r) => ({ revision: r.revision, position: r.position }));
  }

  /**
   * One append inside a transaction that already holds the append lock: checks (retry, duplicate
   * id, expected revision) and writes the events with one INSERT, or throws having written
   * nothing. Reads see what earlier appends of the same transaction wrote, so several appends can
   * share one transaction (appendAll; SQLite's group commit) and each still fails alone.
   */
  protected async appendInTx(
    tx: SqlExecutor,
    stream: string,
    events: readonly NewEvent[],
    expectedRevision: ExpectedRevision,
  ): Promise<{ revision: number; position: number; appended: boolean }> {
    // One read for everything the append checks: the stream's revision, the global head and its
    // hash, and whether any of these ids was stored before (a retry) — fewer round trips per append.
    const ids = events.map((e) => e.id);
    const [state] = await tx.query<{ rev: number | null; pos: number | null; hash: string | null; seen: number }>(
      `SELECT (SELECT max(revision) FROM events WHERE stream = ?) AS rev,
              (SELECT position FROM events ORDER BY position DESC LIMIT 1) AS pos,
              (SELECT hash FROM events ORDER BY position DESC LIMIT 1) AS hash,
              (SELECT count(*) FROM events WHERE id IN (${ids.map(() => '?').join(', ')})) AS seen`,
      [stream, ...ids],
    );
    if (Number(state.seen) > 0) {
      const replay = await this.findIdempotentReplay(tx, stream, events, expectedRevision);
      if (replay) return { ...replay, appended: false };
    }
    const current = state.rev === null ? -1 : Number(state.rev);
    if ((expectedRevision === 'no_stream' && current !== -1) || (typeof expectedRevision === 'number' && expectedRevision !== current)) {
      throw new WrongExpectedRevisionError(stream, expectedRevision, current);
    }
    // Appends are serialised (see lockForAppend), so the head read here is still the head at commit.
    let position = state.pos === null ? 0 : Number(state.pos);
    let prevHash = state.hash ?? GENESIS_HASH;
    let revision = current;
    const recordedAt = this.clock.now().toISOString();
    const rows: SqlValue[] = [];
    for (const e of events) {
      position += 1;
      revision += 1;
      // The canonical text is what gets hashed and what gets stored, so the stored bytes are the hashed bytes.
      const dataJcs = canonicalize(e.data);
      const metadataJcs = canonicalize(e.metadata);
      const fields = { id: e.id, type: e.type, stream, revision, position, recordedAt, schemaVersion: e.schemaVersion, prevHash };
      const hash = sha256Hex(hashInput(fields, dataJcs, metadataJcs));
      rows.push(position, e.id, stream, revision, e.type, e.schemaVersion, dataJcs, metadataJcs, recordedAt, prevHash, hash);
      if (this.storesCanonicalText) rows.push(dataJcs, metadataJcs);
      prevHash = hash;
    }
    const [columns, row] = this.storesCanonicalText
      ? [`${COLUMNS}, data_jcs, metadata_jcs`, '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)']
      : [COLUMNS, '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'];
    await tx.run(`INSERT INTO events (${columns}) VALUES ${events.map(() => row).join(', ')}`, rows);
    return { revision, position, appended: true };
  }

  /** A retried append (same ids, same expected revision) returns the first outcome instead of failing or duplicating. */
  private async findIdempotentReplay(
    tx: SqlExecutor,
    stream: string,
    events: readonly NewEvent[],
    expected: ExpectedRevision,
  ): Promise<AppendResult | undefined> {
    const ids = events.map((e) => e.id);
    const found = await tx.query<{ id: string; stream: string; revision: number; position: number }>(
      `SELECT id, stream, revision, position FROM events WHERE id IN (${ids.map(() => '?').join(', ')}) ORDER BY position`,
      ids,
    );
    if (found.length === 0) return undefined;
    const firstRevision = expected === 'no_stream' ? 0 : typeof expected === 'number' ? expected + 1 : Number(found[0].revision);
    const sameBatch =
      found.length === events.length &&
      found.every((row, i) => row.id === ids[i] && row.stream === stream && Number(row.revision) === firstRevision + i);
    if (!sameBatch) throw new DuplicateEventIdError(found[0].id);
    const last = found[found.length - 1];
    return { revision: Number(last.revision), position: Number(last.position) };
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const params: SqlValue[] = [stream, options.fromRevision ?? 0];
    let sql = `SELECT ${COLUMNS} FROM events WHERE stream = ? AND revision >= ?`;
    if (options.toPosition !== undefined) {
      sql += ' AND position <= ?';
      params.push(options.toPosition);
    }
    const rows = await this.db.query<EventRow>(`${sql} ORDER BY revision`, params);
    return rows.map((r) => this.toRecorded(r));
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const rows = await this.db.query<EventRow>(`SELECT ${COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?`, [
      options.fromPosition ?? 0,
      options.limit ?? 1000,
    ]);
    return rows.map((r) => this.toRecorded(r));
  }

  async readChain(options: { fromPosition: number; toPosition?: number; limit: number }): Promise<ChainRow[]> {
    const params: SqlValue[] = [options.fromPosition];
    let sql = `SELECT ${COLUMNS} FROM events WHERE position > ?`;
    if (options.toPosition !== undefined) {
      sql += ' AND position <= ?';
      params.push(options.toPosition);
    }
    params.push(options.limit);
    if (this.db.queryArrays) {
      // Verify and export scan millions of rows: array rows avoid building an object per row.
      const rows = await this.db.queryArrays(`${sql} ORDER BY position LIMIT ?`, params);
      return rows.map(
        (a): ChainRow => ({
          position: Number(a[0]),
          id: a[1] as string,
          stream: a[2] as string,
          revision: Number(a[3]),
          type: a[4] as string,
          schemaVersion: Number(a[5]),
          dataJcs: this.canonicalText(a[6]),
          metadataJcs: this.canonicalText(a[7]),
          recordedAt: a[8] as string,
          prevHash: a[9] as string,
          hash: a[10] as string,
        }),
      );
    }
    const rows = await this.db.query<EventRow>(`${sql} ORDER BY position LIMIT ?`, params);
    return rows.map((r) => this.toChainRow(r));
  }

  async lastInStream(stream: string, cut: StreamCut): Promise<{ position: number; revision: number } | undefined> {
    const params: SqlValue[] = [stream];
    let sql = 'SELECT position, revision FROM events WHERE stream = ?';
    if (cut.position !== undefined) {
      sql += ' AND position <= ?';
      params.push(cut.position);
    }
    if (cut.at !== undefined) {
      sql += ' AND recorded_at <= ?';
      params.push(cut.at);
    }
    const [row] = await this.db.query<{ position: number; revision: number }>(`${sql} ORDER BY position DESC LIMIT 1`, params);
    return row ? { position: Number(row.position), revision: Number(row.revision) } : undefined;
  }

  /** The rows at these positions (missing ones are left out), in position order. */
  async readChainAt(positions: readonly number[]): Promise<ChainRow[]> {
    if (positions.length === 0) return [];
    const rows = await this.db.query<EventRow>(
      `SELECT ${COLUMNS} FROM events WHERE position IN (${positions.map(() => '?').join(', ')}) ORDER BY position`,
      positions as number[],
    );
    return rows.map((r) => this.toChainRow(r));
  }

  private toChainRow(r: EventRow): ChainRow {
    return {
      position: Number(r.position),
      id: r.id,
      type: r.type,
      stream: r.stream,
      revision: Number(r.revision),
      recordedAt: r.recorded_at,
      schemaVersion: Number(r.schema_version),
      dataJcs: this.canonicalText(r.data),
      metadataJcs: this.canonicalText(r.metadata),
      prevHash: r.prev_hash,
      hash: r.hash,
    };
  }

  async streamsBetween(fromPosition: number, toPosition: number): Promise<string[]> {
    const rows = await this.db.query<{ stream: string }>('SELECT DISTINCT stream FROM events WHERE position > ? AND position <= ?', [fromPosition, toPosition]);
    return rows.map((r) => r.stream);
  }

  async streamsWithEventType(type: string): Promise<string[]> {
    const rows = await this.db.query<{ stream: string }>('SELECT DISTINCT stream FROM events WHERE type = ? ORDER BY stream', [type]);
    return rows.map((r) => r.stream);
  }

  async findByIdempotencyKey(key: string): Promise<RecordedEvent[]> {
    const rows = await this.db.query<EventRow>(`SELECT ${COLUMNS} FROM events WHERE ${this.idempotencyKeyExpr} = ? ORDER BY position`, [key]);
    return rows.map((r) => this.toRecorded(r));
  }

  async headPosition(): Promise<number> {
    const [{ pos }] = await this.db.query<{ pos: number | null }>('SELECT max(position) AS pos FROM events');
    return pos === null ? 0 : Number(pos);
  }

  onAppended(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  protected notifyListeners(): void {
    for (const l of this.listeners) l();
  }

  ping(): Promise<void> {
    return this.db.ping();
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }

  /** Older payloads are upcast here, before any reader (the domain, projections, the relay) sees them. */
  private toRecorded(r: EventRow): RecordedEvent {
    const stored = this.storedEvent(r);
    const current = upcast(stored, this.upcasters);
    return current === stored ? stored : { ...current, storedSchemaVersion: stored.schemaVersion };
  }

  private storedEvent(r: EventRow): RecordedEvent {
    return {
      id: r.id,
      type: r.type,
      stream: r.stream,
      revision: Number(r.revision),
      position: Number(r.position),
      recordedAt: r.recorded_at,
      schemaVersion: Number(r.schema_version),
      data: this.decodeJson(r.data),
      metadata: this.decodeJson(r.metadata) as RecordedEvent['metadata'],
      prevHash: r.prev_hash,
      hash: r.hash,
    };
  }
}
