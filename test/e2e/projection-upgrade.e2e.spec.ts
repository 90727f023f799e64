import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteDb } from '#persistence';
import { registryProjection } from '#read-models';
import { startTestApp } from '../support/app.js';

/**
 * Start-up wiring of projection versions: a database whose registry tables were recorded as
 * built by an older projection version (0 here, below every real one) gets them rebuilt by the
 * server on start, in the background, and the rows come back from the events.
 */
describe('projection rebuild at start-up', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ml-pv-e2e-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('tables recorded at an older projection version are rebuilt from the events while the server runs', async () => {
    const first = await startTestApp('sqlite', { DATA_DIR: dir });
    const w = await first.token('alice', ['registry:read', 'registry:write']);
    for (const name of ['a', 'b', 'c']) expect((await first.call('POST', '/v1/models', { token: w, body: { name } })).status).toBe(201);
    await first.close();

    // As if an older build had written these tables: version 0, and rows that a fold would not produce.
    const db = new SqliteDb(join(dir, 'ledger.db'));
    await db.run("INSERT INTO projection_versions (projection, version, rebuilt_at) VALUES ('registry', 0, 'then') ON CONFLICT (projection) DO UPDATE SET version = 0");
    await db.run("DELETE FROM rm_models WHERE name = 'b'");
    await db.run("INSERT INTO rm_models (name, owners_idx, tags_idx, doc) VALUES ('ghost', '||', '||', '{\"name\":\"ghost\"}')");
    await db.close();

    const second = await startTestApp('sqlite', { DATA_DIR: dir });
    try {
      const r = await second.token('alice', ['registry:read', 'registry:write']);
      const names = async () => ((await second.call('GET', '/v1/models', { token: r })).body.items as { name: string }[]).map((m) => m.name);
      for (let i = 0; (await names()).join() !== 'a,b,c'; i++) {
        if (i > 100) throw new Error(`registry not rebuilt: ${(await names()).join()}`);
        await new Promise((res) => setTimeout(res, 50));
      }
      // Writes go on as before, into the swapped-in tables.
      expect((await second.call('POST', '/v1/models', { token: r, body: { name: 'd' } })).status).toBe(201);
      expect(await names()).toEqual(['a', 'b', 'c', 'd']);
    } finally {
      await second.close();
    }
    const after = new SqliteDb(join(dir, 'ledger.db'));
    expect(await after.query("SELECT version FROM projection_versions WHERE projection = 'registry'")).toEqual([{ version: registryProjection.version }]);
    await after.close();
  });
});
