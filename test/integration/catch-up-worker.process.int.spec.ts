import { jest } from '@jest/globals';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { openLedgerStore, type StoreLocation } from '#event-store';
import { rebuildAndCompare } from '#read-models';
import { Fixture, fixtureClock, seedRegistry } from '../bench/fixtures.js';
import { createTestSchema, describePg } from '../support/pg.js';
import { freePort } from '../support/ports.js';

jest.setTimeout(300_000);

beforeAll(() => {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
});

/**
 * A server from the build starting far behind (CATCH_UP_WORKER_EVENTS and more events not yet
 * projected) projects them in a worker thread before it serves; the read models it then serves
 * equal a fresh fold, and a restart with nothing to catch up does not start the worker.
 */
async function firstStartFarBehind(where: StoreLocation): Promise<void> {
  const seeded = await openLedgerStore(where, fixtureClock());
  await seedRegistry(seeded.store, new Fixture(7), 40, 4);
  const head = await seeded.store.headPosition();
  await seeded.store.close();
  await seeded.db.close();

  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const keyFile = join(where.DATA_DIR, 'idp.jwk.json');
  writeFileSync(keyFile, JSON.stringify({ ...(await exportJWK(publicKey)), alg: 'EdDSA', kid: 'cw' }));
  const token = await new SignJWT({ scope: 'registry:read' })
    .setProtectedHeader({ alg: 'EdDSA', kid: 'cw' })
    .setSubject('reader')
    .setIssuer('https://idp.cw.test')
    .setAudience('cw')
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(privateKey);

  const serve = async (): Promise<{ output: () => string; url: string; stop: () => Promise<void> }> => {
    const port = await freePort();
    let out = '';
    const child = spawn(process.execPath, ['dist/apps/registry-api/src/main.js'], {
      env: {
        ...process.env,
        NODE_ENV: 'test',
        EVENT_STORE: where.EVENT_STORE,
        ...(where.DATABASE_URL ? { DATABASE_URL: where.DATABASE_URL } : {}),
        DATA_DIR: where.DATA_DIR,
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'log',
        JWT_ISSUER: 'https://idp.cw.test',
        JWT_AUDIENCE: 'cw',
        JWT_PUBLIC_KEY_FILE: keyFile,
        JWT_ALGORITHMS: 'EdDSA',
        RELAY_ENABLED: 'false',
        CATCH_UP_WORKER_EVENTS: '100',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0; !(await fetch(`${url}/health/ready`).then((r) => r.ok, () => false)); i++) {
      if (i > 600 || child.exitCode !== null) throw new Error(`server did not become ready:\n${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return {
      output: () => out,
      url,
      stop: async () => {
        child.kill('SIGTERM');
        if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
      },
    };
  };

  const first = await serve();
  try {
    expect(head).toBeGreaterThanOrEqual(100);
    expect(first.output()).toMatch(new RegExp(`caught up ${head} events in a worker thread in [0-9.]+ s \\(read models at position ${head}\\)`));
    expect(first.output()).not.toContain('catch-up worker failed');
    const ready = (await fetch(`${first.url}/health/ready`).then((r) => r.json())) as { checks: { projections: { position: number; lag: number } } };
    expect(ready.checks.projections.position).toBeGreaterThanOrEqual(head);
    expect(ready.checks.projections.lag).toBe(0);
    const resolved = await fetch(`${first.url}/v1/resolve?uri=models:/bench-3@prod`, { headers: { authorization: `Bearer ${token}` } });
    expect(resolved.status).toBe(200);
    expect(((await resolved.json()) as { name: string; version: string })).toMatchObject({ name: 'bench-3', version: '1.3.0' });
  } finally {
    await first.stop();
  }

  const again = await serve();
  try {
    expect(again.output()).not.toContain('in a worker thread');
  } finally {
    await again.stop();
  }

  // What the worker projected is what a fold of every event by this build gives.
  const check = await openLedgerStore(where, fixtureClock());
  try {
    const compared = await rebuildAndCompare(check.db, check.store);
    expect(compared.differences).toEqual([]);
    expect(compared.identical).toBe(true);
  } finally {
    await check.store.close();
    await check.db.close();
  }
}

describe('a first start far behind catches up in a worker thread', () => {
  test('SQLite', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ml-catchup-worker-'));
    try {
      await firstStartFarBehind({ EVENT_STORE: 'sqlite', DATA_DIR: dir });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describePg('a first start far behind catches up in a worker thread', () => {
  test('PostgreSQL', async () => {
    const schema = await createTestSchema('catchupw');
    const dir = mkdtempSync(join(tmpdir(), 'ml-catchup-worker-pg-'));
    try {
      await firstStartFarBehind({ EVENT_STORE: 'postgres', DATABASE_URL: schema.url, DATA_DIR: dir });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
