import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MIGRATIONS, MigrationError, SqliteDb } from '#persistence';
import { openLedgerStore } from './open-store.js';

const clock = { now: () => new Date() };

// SQLite is embedded: the one opener runs here against real database files.
describe('openLedgerStore', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ml-open-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('opens DATA_DIR/ledger.db, migrated first (once), and the store appends and reads', async () => {
    const first = await openLedgerStore({ EVENT_STORE: 'sqlite', DATA_DIR: dir }, clock);
    expect(first.migration!.applied.map((m) => m.version)).toEqual(MIGRATIONS.map((m) => m.version));
    await first.store.append('s', [{ id: '018f0000-0000-7000-8000-000000000001', type: 'T', schemaVersion: 1, data: {}, metadata: { actor: { sub: 'a', scopes: [] }, correlationId: 'c' } }], { expectedRevision: 'no_stream' });
    await first.store.close();
    await first.db.close();

    const again = await openLedgerStore({ EVENT_STORE: 'sqlite', DATA_DIR: dir }, clock);
    expect(again.migration!.applied).toEqual([]);
    expect((await again.store.readStream('s')).map((e) => e.type)).toEqual(['T']);
    // A reader beside it (a verify worker thread): reports no migration, reads the same events.
    const reader = await openLedgerStore({ EVENT_STORE: 'sqlite', DATA_DIR: dir }, clock, { readOnly: true });
    expect(reader.migration).toBeUndefined();
    expect((await reader.store.readStream('s')).map((e) => e.type)).toEqual(['T']);
    await reader.store.close();
    await reader.db.close();
    await again.store.close();
    await again.db.close();
  });

  test('a database newer than this build is refused before the store opens', async () => {
    const opened = await openLedgerStore({ EVENT_STORE: 'sqlite', DATA_DIR: dir }, clock);
    await opened.store.close();
    await opened.db.close();
    const db = new SqliteDb(join(dir, 'ledger.db'));
    await db.run("INSERT INTO schema_migrations (version, name, checksum, how, applied_at) VALUES (999, 'from-the-future', 'x', 'applied', 'now')");
    await db.close();
    await expect(openLedgerStore({ EVENT_STORE: 'sqlite', DATA_DIR: dir }, clock)).rejects.toBeInstanceOf(MigrationError);
  });
});
