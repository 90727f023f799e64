import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { PostgresDb } from '#persistence';
import { createTestSchema, describePg } from '../support/pg.js';
import { FIXTURE, upgradeScenarios } from './upgrade.scenarios.js';

/** Replays the fixture's pg_dump into a fresh schema (the dump names its schema `upgrade_fixture`). */
async function restore(url: string, schema: string): Promise<void> {
  const dump = readFileSync(join(FIXTURE, 'ledger.pg.sql'), 'utf8')
    .replace(/^CREATE SCHEMA upgrade_fixture;$/m, '')
    .replace(/\bupgrade_fixture\./g, `${schema}.`);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(dump);
  } finally {
    await client.end();
  }
}

describePg('upgrade: a PostgreSQL ledger written by the build before migrations', () => {
  upgradeScenarios(async () => {
    const s = await createTestSchema('upg');
    await restore(s.url, s.schema);
    const dir = mkdtempSync(join(tmpdir(), 'ml-upgrade-pg-'));
    return {
      target: { kind: 'postgres', env: { DATABASE_URL: s.url, DATA_DIR: dir }, dataDir: dir, openDb: () => new PostgresDb(s.url, { max: 2 }) },
      cleanup: async () => {
        rmSync(dir, { recursive: true, force: true });
        await s.drop();
      },
    };
  });
});
