import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteDb } from '#persistence';
import { FIXTURE, upgradeScenarios } from './upgrade.scenarios.js';

describe('upgrade: a SQLite ledger written by the build before migrations', () => {
  upgradeScenarios(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ml-upgrade-'));
    copyFileSync(join(FIXTURE, 'ledger.db'), join(dir, 'ledger.db'));
    return {
      target: { kind: 'sqlite', env: { DATA_DIR: dir }, dataDir: dir, openDb: () => new SqliteDb(join(dir, 'ledger.db')) },
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    };
  });
});
