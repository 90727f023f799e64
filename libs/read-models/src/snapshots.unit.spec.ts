import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '#event-store';
import { SqliteDb } from '#persistence';
import { snapshotStoreContract } from './snapshots.contract.js';

describe('snapshot store on SQLite', () => {
  snapshotStoreContract(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ml-snap-'));
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
  });
});
