import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeStore, runMigrateCli } from '../../apps/registry-api/src/cli/migrate-cli.js';
import { validateConfig } from '#config';
import { MIGRATIONS, SqliteDb } from '#persistence';

describe('npm run migrate (CLI) on SQLite', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ml-migrate-cli-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const env = () => ({ EVENT_STORE: 'sqlite', DATA_DIR: dir, NODE_ENV: 'test' });

  test('prints the store and what it applied; a second run says the schema is up to date', async () => {
    const lines: string[] = [];
    expect(await runMigrateCli(env(), (l) => lines.push(l))).toBe(0);
    expect(lines[0]).toBe(`store: sqlite ${join(dir, 'ledger.db')}`);
    expect(lines[1]).toMatch(new RegExp(`^schema migrated from version 0 to ${MIGRATIONS.length}: 1 baseline`));
    lines.length = 0;
    expect(await runMigrateCli(env(), (l) => lines.push(l))).toBe(0);
    expect(lines[1]).toBe(`schema up to date at version ${MIGRATIONS.length}`);
  });

  test('a database migrated by a newer build is refused with exit code 1 and the reason', async () => {
    const db = new SqliteDb(join(dir, 'ledger.db'));
    await db.exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, how TEXT NOT NULL, applied_at TEXT NOT NULL)");
    await db.run("INSERT INTO schema_migrations VALUES (999, 'from-the-future', 'x', 'applied', 'now')");
    await db.close();
    const lines: string[] = [];
    expect(await runMigrateCli(env(), (l) => lines.push(l))).toBe(1);
    expect(lines[1]).toMatch(/^refused: the database schema is at version 999 \(from-the-future\)/);
  });

  test('the PostgreSQL store is named without its password', () => {
    const config = validateConfig({ EVENT_STORE: 'postgres', DATABASE_URL: 'postgres://ledger:s3cret@db.internal:5433/ledger?options=-c%20search_path%3Dtenant_a', NODE_ENV: 'test' });
    const text = describeStore(config);
    expect(text).toBe('postgres db.internal:5433/ledger (schema tenant_a)');
    expect(text).not.toContain('s3cret');
  });
});
