import { jest } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, openSync, rmSync, writeSync, closeSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SQL_DB } from '../../apps/registry-api/src/infrastructure/tokens.js';
import type { SqlDb } from '#persistence';
import { startTestApp, versionBody, type TestApp } from '../support/app.js';
import { checkLedger } from './support/checks.js';
import { History, attempt } from './support/history.js';
import { loadMarker } from './support/load.js';

jest.setTimeout(300_000);

/** A small tmpfs as DATA_DIR (root only: chmod does not stop root from writing). */
function mountTmpfs(sizeMb: number): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'ml-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m`, 'tmpfs', dir], { stdio: 'ignore' });
    return dir;
  } catch {
    rmdirSync(dir);
    return undefined;
  }
}

/** Fills the filesystem up to the last byte. */
function fill(dir: string): string {
  const file = join(dir, 'filler');
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
    // the last partial blocks too
    const small = Buffer.alloc(512, 1);
    try {
      for (;;) writeSync(fd, small);
    } catch {
      // full
    }
  } finally {
    closeSync(fd);
  }
  return file;
}

const dataDir = process.getuid?.() === 0 ? mountTmpfs(16) : undefined;
const maybe = dataDir ? test : test.skip;
if (!dataDir) console.warn('skipped: disk full needs root to mount a tmpfs');

describe('disk full on SQLite (tmpfs DATA_DIR)', () => {
  let t: TestApp | undefined;
  afterAll(async () => {
    await t?.close();
    if (dataDir) {
      execFileSync('umount', [dataDir]);
      rmdirSync(dataDir);
    }
  });

  maybe('writes fail with a 503 problem, reads go on, nothing half-written, writes resume once space is freed', async () => {
    const history = new History('disk-full');
    t = await startTestApp('sqlite', { DATA_DIR: dataDir! });
    const token = await t.token('alice', ['registry:read', 'registry:write', 'audit:read']);
    const json = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
    const register = (n: number) =>
      attempt(history, { writer: 0, kind: 'register', model: 'churn', marker: `full-${n}` }, `${t!.url}/v1/models/churn/versions`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify(versionBody(`1.${n}.0`, n, { lineage: { ...versionBody('1.0.0', n).lineage, runId: `full-${n}` }, description: 'x'.repeat(2000) })),
      });
    expect((await t.call('POST', '/v1/models', { token, body: { name: 'churn' } })).status).toBe(201);
    for (let n = 1; n <= 5; n++) expect((await register(n)).status).toBe(201);
    const headBefore = await t.store.headPosition();

    const filler = fill(dataDir!);
    const refused: { status?: number; body?: any }[] = [];
    for (let n = 6; n <= 15; n++) refused.push(await register(n));
    for (const r of refused) {
      expect(r.status).toBe(503);
      expect(r.body).toMatchObject({ status: 503, code: 'STORAGE_FULL' });
    }
    // Reads keep working.
    const model = await t.call('GET', '/v1/models/churn', { token });
    expect(model.status).toBe(200);
    expect((await t.call('GET', '/v1/models/churn/versions/1.5.0', { token })).status).toBe(200);
    expect((await t.call('GET', '/v1/models/churn/versions/1.6.0', { token })).status).toBe(404);
    expect(await t.store.headPosition()).toBe(headBefore);
    expect((await t.call('GET', '/health/live')).status).toBe(200);

    rmSync(filler);
    // Writes resume.
    for (let n = 16; n <= 20; n++) expect((await register(n)).status).toBe(201);
    const verify = await t.call('GET', '/v1/audit/verify', { token });
    expect(verify.body.ok).toBe(true);

    const report = await checkLedger(t.store, t.app.get<SqlDb>(SQL_DB), history, loadMarker);
    console.log(`[reliability] disk full: ${JSON.stringify({ ...history.summary(), events: report.events, lost: report.lost.length })}`);
    expect(history.summary()).toMatchObject({ ok: 10, fail: 0, unknown: 10 });
    expect(report.lost).toEqual([]);
    expect(report.duplicated).toEqual([]);
    // The refused writes are not there, not even partly.
    expect(report.unknownStored).toBe(0);
    expect(report.gaps).toEqual([]);
    expect(report.readModelsIdentical).toBe(true);
  });
});
