import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import { openLedgerStore, type EventStore, type StoreLocation } from '#event-store';
import { uuidv7, type SqlDb } from '#persistence';
import { writeCheckpoint, type AuditKey } from '#audit';
import { DATABASE_URL, createTestSchema } from '../support/pg.js';

/**
 * `audit verify --threads N` on the build: the chain is cut into chunks that worker threads verify,
 * each opening the store itself (read-only). Worker threads exist only in a build (the worker
 * entry is a compiled file), which is why this runs in the reliability project, after
 * `npm run build`, against the built CLI.
 */
const CLI = 'dist/apps/registry-api/src/cli/audit.js';
const EVENTS = 90;

const actor = { sub: 'seed', scopes: ['registry:write'] };
const noted = (n: number) => ({ id: uuidv7(), type: 'Noted', schemaVersion: 1, data: { n, note: `note ${n}` }, metadata: { actor, correlationId: uuidv7(), reason: 'seed' } });

async function seed(store: EventStore, key: AuditKey): Promise<number> {
  for (let n = 1; n <= EVENTS; n++) {
    await store.append(`model-m${n % 7}`, [noted(n)], { expectedRevision: 'any' });
    if (n % 30 === 0) await writeCheckpoint(store, key);
  }
  return store.headPosition();
}

function verify(env: Record<string, string>, jwksFile: string, threads: number) {
  const r = spawnSync(process.execPath, [CLI, 'verify', '--threads', String(threads), '--jwks', jwksFile, '--json'], {
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (r.error) throw r.error;
  return { status: r.status, report: JSON.parse(r.stdout) as { ok: boolean; verified: number; checkpointsVerified: number; workers?: number; broken?: { position: number; kind: string } } };
}

const stores: [string, boolean][] = [['sqlite', true], ['postgres', Boolean(DATABASE_URL)]];

describe.each(stores)('audit verify on worker threads (%s)', (kind, available) => {
  const maybe = available ? test : test.skip;
  maybe('an intact chain verifies OK in chunks; a row edited in a later chunk, then an earlier one, is found by position', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ml-verify-'));
    const schema = kind === 'postgres' ? await createTestSchema('verify') : undefined;
    const where: StoreLocation = schema ? { EVENT_STORE: 'postgres', DATA_DIR: dir, DATABASE_URL: schema.url } : { EVENT_STORE: 'sqlite', DATA_DIR: dir };
    const env: Record<string, string> = { EVENT_STORE: where.EVENT_STORE, DATA_DIR: dir, ...(schema ? { DATABASE_URL: schema.url } : {}) };
    const opened = await openLedgerStore(where, { now: () => new Date() });
    const db: SqlDb = opened.db;
    try {
      const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
      const key: AuditKey = { kid: 'verify-test', privateJwk: { ...(await exportJWK(privateKey)), kid: 'verify-test' }, publicJwk: { ...(await exportJWK(publicKey)), kid: 'verify-test', alg: 'EdDSA' } };
      const jwksFile = join(dir, 'jwks.json');
      writeFileSync(jwksFile, JSON.stringify({ keys: [key.publicJwk] }));
      const head = await seed(opened.store, key);
      expect(head).toBe(EVENTS + 3);

      const intact = verify(env, jwksFile, 3);
      expect(intact.status).toBe(0);
      expect(intact.report).toMatchObject({ ok: true, verified: head, checkpointsVerified: 3, workers: 3 });

      // One pass without workers agrees.
      const single = verify(env, jwksFile, 1);
      expect(single.report).toMatchObject({ ok: true, verified: head, checkpointsVerified: 3 });
      expect(single.report.workers).toBeUndefined();

      // Edited in the last third (its chunk's worker finds it).
      await db.run('UPDATE events SET data = ? WHERE position = ?', [JSON.stringify({ n: 999, note: 'edited' }), 80]);
      const late = verify(env, jwksFile, 3);
      expect(late.status).toBe(1);
      expect(late.report.ok).toBe(false);
      expect(late.report.broken).toMatchObject({ position: 80 });

      // Also edited in the first third: the earliest break decides, as in one pass.
      await db.run('UPDATE events SET data = ? WHERE position = ?', [JSON.stringify({ n: 998, note: 'edited' }), 7]);
      const early = verify(env, jwksFile, 3);
      expect(early.status).toBe(1);
      expect(early.report.broken).toMatchObject({ position: 7 });
      expect(early.report.verified).toBe(6);
    } finally {
      await opened.store.close();
      await db.close();
      await schema?.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
