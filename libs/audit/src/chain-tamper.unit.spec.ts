import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteDb } from '#persistence';
import { SqliteEventStore } from '#event-store';
import { chainTamperContract } from './contract/chain-tamper.contract.js';

// SQLite is embedded, so the tampering scenarios run in the unit tier against a real database file.
describe('hash chain tampering (SQLite)', () => {
  chainTamperContract(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ml-chain-'));
    const db = new SqliteDb(join(dir, 'ledger.db'));
    const store = await SqliteEventStore.open(db, { now: () => new Date() });
    return {
      store,
      db,
      close: async () => {
        await store.close();
        await db.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  });
});
