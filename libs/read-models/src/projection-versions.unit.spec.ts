import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteDb } from '#persistence';
import { SqliteEventStore } from '#event-store';
import { projectionVersionsContract } from './projection-versions.contract.js';

describe('projection versions on SQLite', () => {
  projectionVersionsContract(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ml-pv-'));
    const db = new SqliteDb(join(dir, 'ledger.db'));
    const store = await SqliteEventStore.open(db, { now: () => new Date() });
    return {
      db,
      store,
      close: async () => {
        await db.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  });
});
