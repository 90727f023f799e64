import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteDb } from '#persistence';
import { upcastingContract } from './contract/upcasting.contract.js';
import { SqliteEventStore } from './sqlite-event-store.js';

describe('event upcasting on SQLite', () => {
  upcastingContract(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ml-upcast-'));
    const db = new SqliteDb(join(dir, 'ledger.db'));
    return {
      db,
      open: (options) => SqliteEventStore.open(db, { now: () => new Date() }, options),
      close: async () => {
        await db.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  });
});
