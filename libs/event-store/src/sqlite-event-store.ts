import type { SqliteDb, SqlExecutor, SqlValue } from '../../persistence/src/index.js';
import { SqlEventStore, type Clock } from './sql-event-store.js';

export const SQLITE_EVENTS_DDL = `
CREATE TABLE IF NOT EXISTS events (
  position INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  stream TEXT NOT NULL,
  revision INTEGER NOT NULL,
  type TEXT NOT NULL,
  schema_version INTEGER NOT NULL,
  data TEXT NOT NULL,
  metadata TEXT NOT NULL,
  recorded_at TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL,
  UNIQUE (stream, revision)
);`;

/** Finds the events of one idempotent request; partial, so events without a key cost nothing. */
export const SQLITE_EVENTS_IDEMPOTENCY_INDEX_DDL = `
CREATE INDEX IF NOT EXISTS events_idempotency_key ON events (json_extract(metadata, '$.idempotencyKey'))
  WHERE json_extract(metadata, '$.idempotencyKey') IS NOT NULL;`;

/** The embedded default: one SQLite file in WAL mode; its single writer connection orders appends. */
export class SqliteEventStore extends SqlEventStore {
  private constructor(db: SqliteDb, clock: Clock) {
    super(db, clock);
  }

  static async open(db: SqliteDb, clock: Clock): Promise<SqliteEventStore> {
    await db.exec(SQLITE_EVENTS_DDL);
    await db.exec(SQLITE_EVENTS_IDEMPOTENCY_INDEX_DDL);
    return new SqliteEventStore(db, clock);
  }

  protected readonly idempotencyKeyExpr = "json_extract(metadata, '$.idempotencyKey')";

  protected async lockForAppend(_tx: SqlExecutor): Promise<void> {
    // BEGIN IMMEDIATE already holds the database's write lock.
  }
  protected encodeJson(value: unknown): SqlValue {
    return JSON.stringify(value);
  }
  protected decodeJson(value: unknown): unknown {
    return JSON.parse(value as string);
  }
  /** Appends store the canonical text itself, so the stored bytes are the hashed bytes. */
  protected canonicalText(value: unknown): string {
    return value as string;
  }
}
