import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ALL_SCOPES, startTestApp, type TestApp } from '../support/app.js';

/** Newcomer-path checks (issue 11, items 3 and 7) that are not README examples. */
const BIN = join(import.meta.dirname, '..', '..', 'apps/cli/bin/model-ledger.ts');
const run = (args: string[], cwd: string, env: Record<string, string> = {}) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    execFile(process.execPath, [BIN, ...args], { cwd, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } }, (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    ),
  );

describe('the CLI reads the server’s configuration file', () => {
  it('takes DATA_DIR from ./.env, and the environment wins over the file', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'ml-env-'));
    writeFileSync(join(cwd, '.env'), `DATA_DIR=${join(cwd, 'from-file')}\n`);
    const fromFile = await run(['token', '--sub', 'a'], cwd);
    expect(fromFile.code).toBe(0);
    expect(fromFile.stderr).toContain(`(DATA_DIR=${join(cwd, 'from-file')})`);
    const fromEnv = await run(['token', '--sub', 'a'], cwd, { DATA_DIR: join(cwd, 'from-env') });
    expect(fromEnv.stderr).toContain(`(DATA_DIR=${join(cwd, 'from-env')})`);
  });

  it('a missing ENV_FILE is a usage error naming it', async () => {
    const r = await run(['token', '--sub', 'a'], tmpdir(), { ENV_FILE: '/nonexistent/.env' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/ENV_FILE=\/nonexistent\/\.env does not exist/);
  });
});

describe('tag filter syntax', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('`tag=domain:marketing` is refused with the expected syntax instead of silently matching nothing', async () => {
    const token = await t.token('a', ALL_SCOPES);
    await t.call('POST', '/v1/models', { token, body: { name: 'churn', tags: { domain: 'marketing' } } });
    const bad = await t.call('GET', '/v1/models?tag=domain:marketing', { token });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([expect.objectContaining({ field: 'tag', message: expect.stringMatching(/key or key=value/) })]);
    const good = await t.call('GET', `/v1/models?tag=${encodeURIComponent('domain=marketing')}`, { token });
    expect(good.body.items.map((m: any) => m.name)).toEqual(['churn']);
  });
});
