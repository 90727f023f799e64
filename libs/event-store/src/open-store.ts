import { join } from 'node:path';
import { PostgresDb, SqliteDb, migrate, type MigrationReport, type SqlDb } from '#persistence';
import { PostgresEventStore } from './postgres-event-store.js';
import { SqliteEventStore } from './sqlite-event-store.js';
import type { Clock } from './sql-event-store.js';
import type { SqlEventStore } from './sql-event-store.js';

/** Where the ledger is: the settings of AppConfig (libs/config) that choose and locate the store. */
export interface StoreLocation {
  EVENT_STORE: 'sqlite' | 'postgres';
  DATABASE_URL?: string;
  /** SQLite: the database is `DATA_DIR/ledger.db`. */
  DATA_DIR: string;
}

export interface OpenStoreOptions {
  /** PostgreSQL: LISTEN for appends by other processes, so followers wake without their poll. */
  listen?: boolean;
  /** PostgreSQL pool size (default 10). */
  poolSize?: number;
  /** PostgreSQL application_name (pg_stat_activity). */
  applicationName?: string;
  /**
   * Beside a process that opened (and migrated) the store, e.g. a verify worker thread: no
   * migration and, on PostgreSQL, no DDL and no LISTEN.
   */
  readOnly?: boolean;
}

export interface OpenedStore {
  db: SqlDb;
  store: SqlEventStore;
  /** What opening migrated (nothing when the schema was up to date); absent for `readOnly`. */
  migration?: MigrationReport;
}

/**
 * The one place the database and the event store are opened — by the server, the relay app and
 * every CLI. The schema is migrated first, under the migration lock, so replicas starting
 * together migrate once and the others wait; a database the build cannot use is refused here.
 */
export async function openLedgerStore(where: StoreLocation, clock: Clock, options: OpenStoreOptions = {}): Promise<OpenedStore> {
  const db =
    where.EVENT_STORE === 'postgres'
      ? new PostgresDb(where.DATABASE_URL!, { max: options.poolSize ?? 10, ...(options.applicationName ? { applicationName: options.applicationName } : {}) })
      : new SqliteDb(join(where.DATA_DIR, 'ledger.db'));
  try {
    if (options.readOnly) {
      const store = db instanceof PostgresDb ? PostgresEventStore.reader(db, clock) : await SqliteEventStore.open(db as SqliteDb, clock);
      return { db, store };
    }
    const migration = await migrate(db);
    const store = db instanceof PostgresDb ? await PostgresEventStore.open(db, clock, { listen: options.listen ?? false }) : await SqliteEventStore.open(db as SqliteDb, clock);
    return { db, store, migration };
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
}
