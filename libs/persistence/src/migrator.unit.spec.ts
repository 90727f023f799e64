import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migratorContract } from './contract/migrator.contract.js';
import { MIGRATIONS } from './migrations/index.js';
import { SqliteDb } from './sqlite-db.js';

describe('schema migrations on SQLite', () => {
  migratorContract(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ml-mig-'));
    const file = join(dir, 'ledger.db');
    const db = new SqliteDb(file);
    return {
      db,
      close: async () => {
        await db.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }, { replicas: false });
});

describe('the migration list', () => {
  test('names every file in migrations/ once, in version order, each file NNNN-<name>.ts', () => {
    const files = readdirSync(new URL('./migrations/', import.meta.url))
      .filter((f) => /^\d{4}-.*\.ts$/.test(f))
      .sort();
    expect(files).toEqual(MIGRATIONS.map((m) => `${String(m.version).padStart(4, '0')}-${m.name}.ts`));
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
  });

  test('every migration has SQL for both stores', () => {
    for (const m of MIGRATIONS) {
      expect(m.sqlite.trim()).not.toBe('');
      expect(m.postgres.trim()).not.toBe('');
    }
  });
});
