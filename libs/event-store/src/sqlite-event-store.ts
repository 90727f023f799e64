import { migrate, type SqliteDb, type SqlExecutor, type SqlValue } from '#persistence';
import { SqlEventStore, type Clock, type StoreOptions } from './sql-event-store.js';

/** The embedded default: one SQLite file in WAL mode; its single writer connection orders appends. */
export class SqliteEventStore extends SqlEventStore {
  private constructor(db: SqliteDb, clock: Clock, options: StoreOptions) {
    super(db, clock, options.upcasters);
  }

  /** Brings the schema up to date first (libs/persistence migrations; a no-op when it is). */
  static async open(db: SqliteDb, clock: Clock, options: StoreOptions = {}): Promise<SqliteEventStore> {
    await migrate(db);
    return new SqliteEventStore(db, clock, options);
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
