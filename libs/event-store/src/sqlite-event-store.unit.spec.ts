import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteDb } from '#persistence';
import { eventStoreContract } from './contract/event-store.contract.js';
import { groupCommitContract } from './contract/group-commit.contract.js';
import { SqliteEventStore } from './sqlite-event-store.js';

const clock = { now: () => new Date() };

// SQLite is embedded, so its adapter's contract runs in the unit tier against a real database file.
describe('SqliteEventStore contract', () => {
  eventStoreContract(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ml-es-'));
    const file = join(dir, 'ledger.db');
    // One process holds one SqliteDb (its writer connection is the append lock); a second store
    // instance over it stands in for "another writer" without the subscriber's listener.
    const db1 = new SqliteDb(file);
    const store = await SqliteEventStore.open(db1, clock);
    const other = await SqliteEventStore.open(db1, clock);
    return {
      store,
      other,
      close: async () => {
        await store.close();
        await other.close();
        await db1.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  });
});

describe('SqliteEventStore group commit', () => {
  groupCommitContract(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ml-es-group-'));
    const db = new SqliteDb(join(dir, 'ledger.db'));
    const store = await SqliteEventStore.open(db, clock);
    // Every append commits through db.transaction: fewer transactions than appends means batches.
    let transactions = 0;
    let appends = 0;
    const transaction = db.transaction.bind(db);
    db.transaction = (fn) => {
      transactions++;
      return transaction(fn);
    };
    const append = store.append.bind(store);
    store.append = (...args) => {
      appends++;
      return append(...args);
    };
    return {
      store,
      sharedCommits: () => appends - transactions,
      close: async () => {
        await store.close();
        await db.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  });
});
