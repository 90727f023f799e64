import pg from 'pg';
import type { PostgresDb, SqlExecutor, SqlValue } from '../../persistence/src/index.js';
import { canonicalize } from './jcs.js';
import { GENESIS_HASH, jcsString } from './hash-chain.js';
import { DuplicateEventIdError, WrongExpectedRevisionError, type AppendResult, type ExpectedRevision, type NewEvent } from './port.js';
import { SqlEventStore, type Clock } from './sql-event-store.js';

export const POSTGRES_EVENTS_DDL = `
CREATE TABLE IF NOT EXISTS events (
  position BIGINT PRIMARY KEY,
  id UUID NOT NULL UNIQUE,
  stream TEXT COLLATE "C" NOT NULL,
  revision BIGINT NOT NULL,
  type TEXT NOT NULL,
  schema_version INTEGER NOT NULL,
  data JSONB NOT NULL,
  metadata JSONB NOT NULL,
  recorded_at TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL,
  UNIQUE (stream, revision)
);`;

/**
 * Group commit in one round trip: appends that queued while the previous batch was in flight are
 * written by one call, in one transaction, under the append lock. Each append is checked on its
 * own (idempotent replay, duplicate id, expected revision) and gets its own outcome row, so a
 * conflict fails that append alone; the others commit with gapless positions in queue order.
 * The hash is computed here, over the same text as hashInput() in hash-chain.ts: the caller
 * passes data/metadata as RFC 8785 text and every string field already as a JSON string literal,
 * so only integers and the hex prevHash are formatted by PostgreSQL (plain digits, as in JS).
 */
export const POSTGRES_APPEND_FUNCTION = `
CREATE OR REPLACE FUNCTION ml_append_batch(
  a_stream text[], a_stream_json text[], a_expected bigint[], a_first int[], a_count int[],
  e_id text[], e_id_json text[], e_type text[], e_type_json text[], e_schema int[], e_data text[], e_meta text[],
  p_recorded_at text, p_recorded_at_json text, p_lock bigint, p_channel text, p_genesis text)
RETURNS TABLE (r_status text, r_revision bigint, r_position bigint, r_detail text)
LANGUAGE plpgsql AS $fn$
DECLARE
  head bigint;
  prev text;
  cur bigint;
  k int;
  h text;
  ids uuid[];
  n_found int;
  same boolean;
  last_rev bigint;
  last_pos bigint;
  -- Current revision of each stream the batch names, kept up to date as appends are accepted.
  s_name text[];
  s_rev bigint[];
  s_at int;
  -- Ids already stored (or written earlier in this call): an append reusing one takes the slow path.
  known uuid[];
  -- Rows accepted and not yet inserted: one INSERT writes them all.
  w_pos bigint[] := '{}';
  w_k int[] := '{}';
  w_stream text[] := '{}';
  w_rev bigint[] := '{}';
  w_prev text[] := '{}';
  w_hash text[] := '{}';
  appended boolean := false;
BEGIN
  PERFORM pg_advisory_xact_lock(p_lock);
  -- A VOLATILE function's statements each take a fresh snapshot: these reads see every append
  -- committed before the lock was granted.
  SELECT e.position, e.hash INTO head, prev FROM events e ORDER BY e.position DESC LIMIT 1;
  IF head IS NULL THEN head := 0; prev := p_genesis; END IF;
  SELECT coalesce(array_agg(x.stream), '{}'), coalesce(array_agg(x.rev), '{}') INTO s_name, s_rev
    FROM (SELECT e.stream, max(e.revision) AS rev FROM events e WHERE e.stream = ANY (a_stream) GROUP BY e.stream) x;
  SELECT coalesce(array_agg(e.id), '{}') INTO known FROM events e WHERE e.id = ANY (e_id::uuid[]);
  FOR i IN 1 .. coalesce(array_length(a_stream, 1), 0) LOOP
    ids := e_id[a_first[i] : a_first[i] + a_count[i] - 1]::uuid[];
    IF ids && known THEN
      -- A retry of a stored append returns its outcome; any other reuse of an id is refused.
      -- Rows accepted so far are written first, so the check sees them.
      IF array_length(w_pos, 1) > 0 THEN
        INSERT INTO events (position, id, stream, revision, type, schema_version, data, metadata, recorded_at, prev_hash, hash)
          SELECT w.pos, e_id[w.k]::uuid, w.stream, w.rev, e_type[w.k], e_schema[w.k], e_data[w.k]::jsonb, e_meta[w.k]::jsonb, p_recorded_at, w.prev, w.hash
            FROM unnest(w_pos, w_k, w_stream, w_rev, w_prev, w_hash) AS w(pos, k, stream, rev, prev, hash);
        w_pos := '{}'; w_k := '{}'; w_stream := '{}'; w_rev := '{}'; w_prev := '{}'; w_hash := '{}';
      END IF;
      SELECT count(*), bool_and(x.id = ids[x.rn] AND x.stream = a_stream[i]
                                AND x.revision = coalesce(a_expected[i] + 1, x.first_rev) + x.rn - 1),
             max(x.revision), max(x.position)
        INTO n_found, same, last_rev, last_pos
        FROM (SELECT e.id, e.stream, e.revision, e.position,
                     row_number() OVER (ORDER BY e.position) AS rn,
                     first_value(e.revision) OVER (ORDER BY e.position) AS first_rev
                FROM events e WHERE e.id = ANY (ids)) x;
      IF same AND n_found = a_count[i] THEN
        r_status := 'replay'; r_revision := last_rev; r_position := last_pos; r_detail := NULL;
      ELSE
        r_status := 'duplicate'; r_revision := NULL; r_position := NULL;
        SELECT e.id::text INTO r_detail FROM events e WHERE e.id = ANY (ids) ORDER BY e.position LIMIT 1;
      END IF;
      RETURN NEXT;
      CONTINUE;
    END IF;
    s_at := array_position(s_name, a_stream[i]);
    cur := CASE WHEN s_at IS NULL THEN -1 ELSE s_rev[s_at] END;
    IF a_expected[i] IS NOT NULL AND a_expected[i] <> cur THEN
      r_status := 'conflict'; r_revision := cur; r_position := NULL; r_detail := NULL;
      RETURN NEXT;
      CONTINUE;
    END IF;
    FOR j IN 0 .. a_count[i] - 1 LOOP
      k := a_first[i] + j;
      head := head + 1;
      cur := cur + 1;
      h := encode(sha256(convert_to(
        '{"data":' || e_data[k] || ',"id":' || e_id_json[k] || ',"metadata":' || e_meta[k] ||
        ',"position":' || head || ',"prevHash":"' || prev || '","recordedAt":' || p_recorded_at_json ||
        ',"revision":' || cur || ',"schemaVersion":' || e_schema[k] || ',"stream":' || a_stream_json[i] ||
        ',"type":' || e_type_json[k] || '}', 'UTF8')), 'hex');
      w_pos := w_pos || head; w_k := w_k || k; w_stream := w_stream || a_stream[i]; w_rev := w_rev || cur;
      w_prev := w_prev || prev; w_hash := w_hash || h;
      prev := h;
    END LOOP;
    IF s_at IS NULL THEN s_name := s_name || a_stream[i]; s_rev := s_rev || cur; ELSE s_rev[s_at] := cur; END IF;
    known := known || ids;
    appended := true;
    r_status := 'ok'; r_revision := cur; r_position := head; r_detail := NULL;
    RETURN NEXT;
  END LOOP;
  IF array_length(w_pos, 1) > 0 THEN
    INSERT INTO events (position, id, stream, revision, type, schema_version, data, metadata, recorded_at, prev_hash, hash)
      SELECT w.pos, e_id[w.k]::uuid, w.stream, w.rev, e_type[w.k], e_schema[w.k], e_data[w.k]::jsonb, e_meta[w.k]::jsonb, p_recorded_at, w.prev, w.hash
        FROM unnest(w_pos, w_k, w_stream, w_rev, w_prev, w_hash) AS w(pos, k, stream, rev, prev, hash);
  END IF;
  -- Delivered at commit only, so other processes' followers wake when the batch is visible.
  IF appended THEN PERFORM pg_notify(p_channel, ''); END IF;
END
$fn$;`;

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
/** Finds the events of one idempotent request; partial, so events without a key cost nothing. */
export const POSTGRES_EVENTS_IDEMPOTENCY_INDEX_DDL = `
CREATE INDEX IF NOT EXISTS events_idempotency_key ON events ((metadata->>'idempotencyKey'))
  WHERE (metadata->>'idempotencyKey') IS NOT NULL;`;

/** Key of the transaction-level advisory lock that serialises appends (any constant works). */
export const APPEND_LOCK_KEY = 7_214_006_371;
const NOTIFY_CHANNEL = 'model_ledger_events';

/**
 * PostgreSQL adapter. Appends take `pg_advisory_xact_lock`, held until commit, and assign
 * position = max + 1 under it: a later append cannot commit before an earlier one, so readers
 * that page by position never skip an event committed late. After commit it NOTIFYs, so
 * subscribers in other processes wake without waiting for their poll.
 */
export class PostgresEventStore extends SqlEventStore {
  private listenClient?: pg.Client;

  private constructor(
    private readonly pgDb: PostgresDb,
    clock: Clock,
  ) {
    super(pgDb, clock);
  }

  static async open(db: PostgresDb, clock: Clock, options: { listen?: boolean } = {}): Promise<PostgresEventStore> {
    await db.exec(
      `SELECT pg_advisory_lock(${APPEND_LOCK_KEY}); ${POSTGRES_EVENTS_DDL} ${POSTGRES_EVENTS_IDEMPOTENCY_INDEX_DDL} ${POSTGRES_APPEND_FUNCTION} SELECT pg_advisory_unlock(${APPEND_LOCK_KEY});`,
    );
    const store = new PostgresEventStore(db, clock);
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
    const { rows } = await this.pgDb.pool.query<{ r_status: string; r_revision: number | null; r_position: number | null; r_detail: string | null }>(
      'SELECT r_status, r_revision, r_position, r_detail FROM ml_append_batch($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)',
      [
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
    );
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
  static reader(db: PostgresDb, clock: Clock): PostgresEventStore {
    return new PostgresEventStore(db, clock);
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

  override async close(): Promise<void> {
    await super.close();
    await this.listenClient?.end().catch(() => undefined);
  }
}
