import { join } from 'node:path';
import { PostgresEventStore, SqliteEventStore, type SqlEventStore } from '#event-store';
import { PostgresDb, SqliteDb, type SqlDb } from '#persistence';
import type { AppConfig } from '#config';
import type { Clock } from './tokens.js';

/**
 * The configured database and event store: the server, the relay app and the CLIs all open them
 * here. `listen` subscribes to PostgreSQL NOTIFY so appends by other processes wake followers.
 */
export async function openEventStore(config: AppConfig, clock: Clock, options: { listen?: boolean; poolSize?: number } = {}): Promise<{ db: SqlDb; store: SqlEventStore }> {
  if (config.EVENT_STORE === 'postgres') {
    const db = new PostgresDb(config.DATABASE_URL!, { max: options.poolSize ?? 10 });
    return { db, store: await PostgresEventStore.open(db, clock, { listen: options.listen ?? false }) };
  }
  const db = new SqliteDb(join(config.DATA_DIR, 'ledger.db'));
  return { db, store: await SqliteEventStore.open(db, clock) };
}
