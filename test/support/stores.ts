import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PostgresDb, SqliteDb, type SqlDb } from '#persistence';
import { PostgresEventStore, SqliteEventStore, type SqlEventStore } from '#event-store';
import { createTestSchema } from './pg.js';

/** A migrated database and its event store, for one contract run; close() removes them. */
export interface OpenStore {
  db: SqlDb;
  store: SqlEventStore;
  close(): Promise<void>;
}

/** A fresh SQLite file in a temporary directory. */
export async function openSqliteStore(prefix: string): Promise<OpenStore> {
  const dir = mkdtempSync(join(tmpdir(), `ml-${prefix}-`));
  const db = new SqliteDb(join(dir, 'ledger.db'));
  const store = await SqliteEventStore.open(db, { now: () => new Date() });
  return {
    db,
    store,
    close: async () => {
      await store.close();
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A fresh schema of the test PostgreSQL (DATABASE_URL); `max` bounds the pool. */
export async function openPostgresStore(prefix: string, options: { max?: number } = {}): Promise<OpenStore> {
  const schema = await createTestSchema(prefix);
  const db = new PostgresDb(schema.url, options);
  const store = await PostgresEventStore.open(db, { now: () => new Date() });
  return {
    db,
    store,
    close: async () => {
      await store.close();
      await db.close();
      await schema.drop();
    },
  };
}
