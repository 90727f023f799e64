import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteDb } from '#persistence';
import { SqliteEventStore } from '#event-store';
import { projectorContract } from './projector.contract.js';

describe('Projector on SQLite', () => {
  projectorContract(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ml-rm-'));
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
