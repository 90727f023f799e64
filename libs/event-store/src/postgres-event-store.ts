import pg from 'pg';
import { migrate, type PostgresDb, type SqlExecutor, type SqlValue } from '#persistence';
import { canonicalize } from './jcs.js';
import { GENESIS_HASH, jcsString } from './hash-chain.js';
import { DuplicateEventIdError, WrongExpectedRevisionError, type AppendResult, type ChainRow, type ExpectedRevision, type NewEvent } from './port.js';
import { SqlEventStore, type Clock, type StoreOptions } from './sql-event-store.js';

/** Appends written by one group-commit call at most (bounds the statement's size). */
const MAX_BATCH_APPENDS = 256;

interface PendingAppend {
  stream: string;
  streamJson: string;
  expected: ExpectedRevision;
  events: { id: string; idJson: string; type: string; typeJson: string; schemaVersion: number; dataJcs: string; metadataJcs: string }[];
  resolve(result: AppendResult): void;
  reject(err: unknown): void;
}

/**
 * The text a chain row is hashed over, from the stored RFC 8785 text and the JSONB's own text
 * (the latter only when PostgreSQL found the two unequal). Appends write both from one text, so
 * a difference is an edit: the JSONB's canonical text is used, and when that equals the stored
 * one (an edit JavaScript cannot see, e.g. digits beyond a double's precision) the JSONB's own
 * text, so the row cannot verify.
 */
function hashedText(stored: string | null, jsonb: string | null): string {
  if (jsonb === null) return stored!;
  const canonical = canonicalize(JSON.parse(jsonb));
  return stored === null || canonical !== stored ? canonical : jsonb;
}

/** Key of the transaction-level advisory lock that serialises appends (any constant works). */
export const APPEND_LOCK_KEY = 7_214_006_371;
const NOTIFY_CHANNEL = 'model_ledger_events';

/**
 * PostgreSQL adapter. Appends are group-committed: those that arrive while a batch is in flight
 * form the next one, written by one call of `ml_append_batch` (migration 4), which takes
 * `pg_advisory_xact_lock`, held until commit, and assigns position = max + 1 under it: a later
 * append cannot commit before an earlier one, so readers that page by position never skip an
 * event committed late. It NOTIFYs at commit, so subscribers in other processes wake without
 * waiting for their poll.
 */
export class PostgresEventStore extends SqlEventStore {
  private listenClient?: pg.Client;

  private constructor(
    private readonly pgDb: PostgresDb,
    clock: Clock,
    options: StoreOptions,
  ) {
    super(pgDb, clock, options.upcasters);
  }

  static async open(db: PostgresDb, clock: Clock, options: StoreOptions & { listen?: boolean } = {}): Promise<PostgresEventStore> {
    // Under the migration lock: replicas starting together migrate once (libs/persistence).
    await migrate(db);
    const store = new PostgresEventStore(db, clock, options);
    if (options.listen) await store.listen();
    return store;
  }

  private readonly queue: PendingAppend[] = [];
  private flushing = false;

  /**
   * Queues the append for the next group commit. Canonical JSON is computed here, outside the
   * lock; positions, revisions and hashes are assigned under it by ml_append_batch.
   */
  override append(stream: string, events: readonly NewEvent[], options: { expectedRevision: ExpectedRevision }): Promise<AppendResult> {
    if (events.length === 0) return Promise.reject(new Error('append needs at least one event'));
    const ids = new Set(events.map((e) => e.id));
    if (ids.size !== events.length) return Promise.reject(new DuplicateEventIdError(events.find((e, i) => events.findIndex((x) => x.id === e.id) !== i)!.id));
    let prepared: PendingAppend['events'];
    try {
      prepared = events.map((e) => ({
        id: e.id,
        idJson: jcsString(e.id),
        type: e.type,
        typeJson: jcsString(e.type),
        schemaVersion: e.schemaVersion,
        dataJcs: canonicalize(e.data),
        metadataJcs: canonicalize(e.metadata),
      }));
      for (const e of prepared) {
        if (!Number.isSafeInteger(e.schemaVersion)) throw new Error('schemaVersion must be a safe integer');
      }
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<AppendResult>((resolve, reject) => {
      this.queue.push({ stream, streamJson: jcsString(stream), expected: options.expectedRevision, events: prepared, resolve, reject });
      void this.flush();
    });
  }

  /** One batch in flight per process: appends arriving meanwhile form the next batch. */
  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, MAX_BATCH_APPENDS);
        try {
          await this.writeBatch(batch);
        } catch (err) {
          // The call failed as a whole (a connection error, or one append's bad input such as an id
          // that is not a UUID): write each append on its own so each gets its own outcome.
          if (batch.length === 1) batch[0].reject(err);
          else for (const one of batch) await this.writeBatch([one]).catch((e: unknown) => one.reject(e));
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  private async writeBatch(batch: PendingAppend[]): Promise<void> {
    const recordedAt = this.clock.now().toISOString();
    const first: number[] = [];
    let next = 1; // PostgreSQL arrays are 1-based
    for (const a of batch) {
      first.push(next);
      next += a.events.length;
    }
    const flat = batch.flatMap((a) => a.events);
    const expected = batch.map((a) => (a.expected === 'any' ? null : a.expected === 'no_stream' ? -1 : a.expected));
    // A named statement is parsed and planned once per pooled connection, not on every append.
    const { rows } = await this.pgDb.pool.query<{ r_status: string; r_revision: number | null; r_position: number | null; r_detail: string | null }>({
      name: 'ml_append_batch',
      text: 'SELECT r_status, r_revision, r_position, r_detail FROM ml_append_batch($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)',
      values: [
        batch.map((a) => a.stream),
        batch.map((a) => a.streamJson),
        expected,
        first,
        batch.map((a) => a.events.length),
        flat.map((e) => e.id),
        flat.map((e) => e.idJson),
        flat.map((e) => e.type),
        flat.map((e) => e.typeJson),
        flat.map((e) => e.schemaVersion),
        flat.map((e) => e.dataJcs),
        flat.map((e) => e.metadataJcs),
        recordedAt,
        jcsString(recordedAt),
        APPEND_LOCK_KEY,
        NOTIFY_CHANNEL,
        GENESIS_HASH,
      ],
    });
    if (rows.length !== batch.length) throw new Error(`group commit returned ${rows.length} outcomes for ${batch.length} appends`);
    // Local listeners first, as a single append did: a caller that awaits its append finds them woken.
    if (rows.some((r) => r.r_status === 'ok')) this.notifyListeners();
    rows.forEach((r, i) => {
      const a = batch[i];
      if (r.r_status === 'ok' || r.r_status === 'replay') a.resolve({ revision: Number(r.r_revision), position: Number(r.r_position) });
      else if (r.r_status === 'conflict') a.reject(new WrongExpectedRevisionError(a.stream, a.expected, Number(r.r_revision)));
      else a.reject(new DuplicateEventIdError(r.r_detail ?? a.events[0].id));
    });
  }

  /** A store for reading only (verify workers, exports): no DDL, no LISTEN. */
  static reader(db: PostgresDb, clock: Clock, options: StoreOptions = {}): PostgresEventStore {
    return new PostgresEventStore(db, clock, options);
  }

  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: (this.pgDb.pool.options as { connectionString?: string }).connectionString });
    client.on('error', () => undefined);
    await client.connect();
    await client.query(`LISTEN ${NOTIFY_CHANNEL}`);
    client.on('notification', () => this.notifyListeners());
    this.listenClient = client;
  }

  /**
   * Takes the append lock and queues the NOTIFY in one round trip: NOTIFY is delivered only at
   * commit (and dropped on rollback), so other processes' subscribers wake without a poll.
   */
  protected readonly idempotencyKeyExpr = "(metadata->>'idempotencyKey')";

  protected async lockForAppend(tx: SqlExecutor): Promise<void> {
    await tx.query(`SELECT pg_advisory_xact_lock(${APPEND_LOCK_KEY}), pg_notify('${NOTIFY_CHANNEL}', '')`);
  }
  protected encodeJson(value: unknown): SqlValue {
    return JSON.stringify(value);
  }
  protected decodeJson(value: unknown): unknown {
    return value;
  }
  /** JSONB keeps the value, not the text (it reorders keys), so the canonical text is recomputed. */
  protected canonicalText(value: unknown): string {
    return canonicalize(value);
  }

  protected override readonly storesCanonicalText = true;

  /**
   * The chain as stored, hashing-ready. Since migration 6 each row also holds the RFC 8785 texts
   * its hash was computed over (data_jcs, metadata_jcs). They are used only where PostgreSQL finds
   * the JSONB equal to them, so what is verified and exported is always the JSONB every reader
   * sees: an edit of `data` alone returns a text that no longer hashes (see hashedText), an edit
   * of `data_jcs` alone is ignored, a NULL (rows written before migration 6) means the JSONB is
   * canonicalised here, as before. JSONB equality implies the same JSON value (numbers compared
   * exactly, strings byte for byte), hence the same canonical text.
   */
  override async readChain(options: { fromPosition: number; toPosition?: number; limit: number }): Promise<ChainRow[]> {
    const { fromPosition, toPosition, limit } = options;
    if (toPosition === undefined) return this.readChainWhere('position > ? ORDER BY position LIMIT ?', [fromPosition, limit], () => super.readChain(options));
    // Bounded on both sides, the range is read in windows of at most `limit` positions: without
    // statistics (a table just written) PostgreSQL estimates a two-sided range as small and
    // sorts it whole for every page. Positions are integers, so a window holds at most as many
    // rows as it is wide; a gap (a deleted row) only means one more window.
    const rows: ChainRow[] = [];
    for (let after = fromPosition; rows.length < limit && after < toPosition; ) {
      const upTo = Math.min(toPosition, after + (limit - rows.length));
      const from = after;
      rows.push(
        ...(await this.readChainWhere('position > ? AND position <= ? ORDER BY position', [from, upTo], () =>
          super.readChain({ fromPosition: from, toPosition: upTo, limit: upTo - from }),
        )),
      );
      after = upTo;
    }
    return rows;
  }

  override async readChainAt(positions: readonly number[]): Promise<ChainRow[]> {
    if (positions.length === 0) return [];
    return this.readChainWhere(`position IN (${positions.map(() => '?').join(', ')}) ORDER BY position`, positions as number[], () => super.readChainAt(positions));
  }

  private async readChainWhere(where: string, params: SqlValue[], fallback: () => Promise<ChainRow[]>): Promise<ChainRow[]> {
    let rows: unknown[][];
    try {
      // The JSONB goes out (as text, not parsed by the driver) only when the stored text cannot stand for it.
      // The comparison is spelled with pg_catalog's operator and type, so nothing created in the
      // ledger's schema (a look-alike `=` for jsonb) can stand in for it.
      // The rows are chosen in a subquery, so the comparison runs on them only: under a plan that
      // sorts (a bitmap scan, e.g. before the table has statistics) it would run on every row in
      // the range, for every page.
      rows = await this.pgDb.queryArrays(
        `SELECT position, id, stream, revision, type, schema_version, recorded_at, prev_hash, hash, data_jcs, metadata_jcs,
                CASE WHEN data OPERATOR(pg_catalog.=) data_jcs::pg_catalog.jsonb THEN NULL ELSE data::pg_catalog.text END,
                CASE WHEN metadata OPERATOR(pg_catalog.=) metadata_jcs::pg_catalog.jsonb THEN NULL ELSE metadata::pg_catalog.text END
           FROM (SELECT position, id, stream, revision, type, schema_version, recorded_at, prev_hash, hash, data, metadata, data_jcs, metadata_jcs
                   FROM events WHERE ${where} OFFSET 0) page
          ORDER BY position`,
        params,
      );
    } catch (err) {
      // A stored text that is not even JSON (an edit) fails the cast, and a database not yet at
      // migration 6 has no such column: read these rows the old way, from the JSONB alone.
      const code = (err as { code?: unknown }).code;
      if (typeof code === 'string' && (code.startsWith('22') || code === '42703')) return fallback();
      throw err;
    }
    return rows.map(
      (a): ChainRow => ({
        position: Number(a[0]),
        id: a[1] as string,
        stream: a[2] as string,
        revision: Number(a[3]),
        type: a[4] as string,
        schemaVersion: Number(a[5]),
        recordedAt: a[6] as string,
        prevHash: a[7] as string,
        hash: a[8] as string,
        dataJcs: hashedText(a[9] as string | null, a[11] as string | null),
        metadataJcs: hashedText(a[10] as string | null, a[12] as string | null),
      }),
    );
  }

  override async close(): Promise<void> {
    await super.close();
    await this.listenClient?.end().catch(() => undefined);
  }
}
