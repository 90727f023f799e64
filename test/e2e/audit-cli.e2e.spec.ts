import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runAuditCli, UsageError } from '../../apps/registry-api/src/cli/audit-cli.js';
import { SqliteDb } from '#persistence';
import { startTestApp, versionBody } from '../support/app.js';

// The CLI runs in-process against the SQLite file a real app wrote (the app is closed first:
// one process never opens two SqliteDb on one file).
describe('npm run audit (CLI) on SQLite', () => {
  let dir: string;
  const env = () => ({ EVENT_STORE: 'sqlite', DATA_DIR: dir, NODE_ENV: 'test' });
  let exportFile: string;
  let jwksFile: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ml-audit-cli-'));
    const t = await startTestApp('sqlite', { DATA_DIR: dir, AUDIT_CHECKPOINT_EVERY_EVENTS: '3', AUDIT_CHECKPOINT_INTERVAL_MINUTES: '0' });
    const w = await t.token('alice', ['registry:write', 'registry:read']);
    const auditor = await t.token('carol', ['audit:read']);
    await t.call('POST', '/v1/models', { token: w, body: { name: 'churn' } });
    for (let i = 1; i <= 4; i++) await t.call('POST', '/v1/models/churn/versions', { token: w, body: versionBody(`1.${i}.0`, i) });
    await new Promise((r) => setTimeout(r, 200));
    exportFile = join(dir, 'export.ndjson');
    jwksFile = join(dir, 'jwks.json');
    writeFileSync(exportFile, await (await fetch(`${t.url}/v1/audit/export`, { headers: { authorization: `Bearer ${auditor}` } })).text());
    writeFileSync(jwksFile, JSON.stringify((await t.call('GET', '/v1/audit/keys', { token: auditor })).body));
    await t.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function run(args: string[]) {
    const lines: string[] = [];
    const code = await runAuditCli(args, env(), (l) => lines.push(l));
    return { code, out: lines.join('\n') };
  }

  test('verify reports OK with the count and last verified position, and honours --from', async () => {
    const all = await run(['verify']);
    expect(all.code).toBe(0);
    expect(all.out).toMatch(/^OK: \d+ events verified from position 1, last verified position \d+, [1-9]\d* signed checkpoints valid/);
    const from = await run(['verify', '--from', '3', '--json']);
    expect(JSON.parse(from.out)).toMatchObject({ ok: true, from: 3 });
    await expect(run(['verify', '--from', 'x'])).rejects.toBeInstanceOf(UsageError);
  });

  test('verify-export checks an NDJSON export offline with the JWKS, and names an edited record', async () => {
    const good = await run(['verify-export', exportFile, '--jwks', jwksFile]);
    expect(good.code).toBe(0);
    expect(good.out).toMatch(/^OK: .* records read\)$/);
    const text = readFileSync(exportFile, 'utf8').split('\n');
    expect(JSON.parse(text[1])).toMatchObject({ position: 2, type: 'VersionRegistered', data: { version: '1.1.0' } });
    text[1] = text[1].replace('"1.1.0"', '"9.9.9"');
    const edited = join(dir, 'edited.ndjson');
    writeFileSync(edited, text.join('\n'));
    const bad = await run(['verify-export', edited, '--jwks', jwksFile]);
    expect(bad.code).toBe(1);
    expect(bad.out).toMatch(/^BROKEN at position 2: hash-mismatch/);
  });

  test('verify exits 1 naming the position of a deleted row', async () => {
    const db = new SqliteDb(join(dir, 'ledger.db'));
    await db.run('DELETE FROM events WHERE position = 4');
    await db.close();
    const r = await run(['verify']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^BROKEN at position 4: missing-position/);
  });
});
