import { jest } from '@jest/globals';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { LOCKED_TRANSACTION_CLASS, MIGRATIONS } from '#persistence';
import { createTestSchema, describePg } from '../support/pg.js';

jest.setTimeout(240_000);

interface Server {
  child: ChildProcess;
  url: string;
  output: () => string;
}

const ready = async (s: Server) => (await fetch(`${s.url}/health/ready`).catch(() => undefined))?.ok === true;

/**
 * Two replicas of the built server started at once on one fresh PostgreSQL schema: the schema
 * migration lock is held by the test first, so both are seen waiting for it; once it is free,
 * exactly one migrates, the other finds the work done, and both serve.
 */
describePg('two API processes starting at once on a fresh PostgreSQL schema', () => {
  test('one migrates, the other waits, both serve', async () => {
    execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
    const schema = await createTestSchema('mig2');
    const dir = mkdtempSync(join(tmpdir(), 'ml-mig2-'));
    const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const keyFile = join(dir, 'idp.jwk.json');
    writeFileSync(keyFile, JSON.stringify({ ...(await exportJWK(publicKey)), alg: 'EdDSA', kid: 'k' }));
    const token = (scope: string) =>
      new SignJWT({ scope }).setProtectedHeader({ alg: 'EdDSA', kid: 'k' }).setSubject('alice').setIssuer('https://idp.test').setAudience('ml').setIssuedAt().setExpirationTime('5m').sign(privateKey);

    // Hold the migration lock, as a replica in the middle of migrating would.
    const holder = new pg.Client({ connectionString: schema.url });
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query("SELECT pg_advisory_xact_lock($1, hashtext(current_schema() || '/' || 'schema-migrations'))", [LOCKED_TRANSACTION_CLASS]);

    const start = (n: number): Server => {
      const port = 30000 + Math.floor(Math.random() * 20000) + n;
      let out = '';
      const child = spawn(process.execPath, ['dist/apps/registry-api/src/main.js'], {
        env: {
          ...process.env,
          NODE_ENV: 'test',
          EVENT_STORE: 'postgres',
          DATABASE_URL: schema.url,
          DATA_DIR: join(dir, `r${n}`),
          PORT: String(port),
          HOST: '127.0.0.1',
          LOG_LEVEL: 'log',
          JWT_ISSUER: 'https://idp.test',
          JWT_AUDIENCE: 'ml',
          JWT_PUBLIC_KEY_FILE: keyFile,
          JWT_ALGORITHMS: 'EdDSA',
          KAFKA_BROKERS: '',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
      child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
      return { child, url: `http://127.0.0.1:${port}`, output: () => out };
    };
    const servers = [start(1), start(2)];
    try {
      // Both come up as far as the migration and wait there for the lock; neither serves yet.
      const waiters = async () =>
        (await holder.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND classid = $1 AND NOT granted", [LOCKED_TRANSACTION_CLASS])).rows[0].n;
      for (let i = 0; (await waiters()) < 2; i++) {
        if (i > 600 || servers.some((s) => s.child.exitCode !== null)) throw new Error(`replicas did not reach the migration lock:\n${servers.map((s) => s.output()).join('\n')}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      await new Promise((r) => setTimeout(r, 500));
      expect(await waiters()).toBe(2);
      expect(await Promise.all(servers.map(ready))).toEqual([false, false]);
      await holder.query('COMMIT');

      for (const s of servers) {
        for (let i = 0; !(await ready(s)); i++) {
          if (i > 300 || s.child.exitCode !== null) throw new Error(`replica did not become ready:\n${s.output()}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      // Exactly one of them applied the migrations; each version is recorded once.
      const migrated = servers.filter((s) => /schema migrated from version 0 to \d+/.test(s.output()));
      expect(migrated).toHaveLength(1);
      const rows = await holder.query<{ version: number; how: string }>('SELECT version, how FROM schema_migrations ORDER BY version');
      expect(rows.rows.map((r) => [Number(r.version), r.how])).toEqual(MIGRATIONS.map((m) => [m.version, 'applied']));

      // Both serve: a write on one is read on the other.
      const w = await token('registry:read registry:write');
      const created = await fetch(`${servers[0].url}/v1/models`, { method: 'POST', headers: { authorization: `Bearer ${w}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'both' }) });
      expect(created.status).toBe(201);
      const position = created.headers.get('x-ledger-position')!;
      const read = await fetch(`${servers[1].url}/v1/models/both`, { headers: { authorization: `Bearer ${w}`, 'x-min-position': position } });
      expect(read.status).toBe(200);
      expect(((await read.json()) as { name: string }).name).toBe('both');
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      await holder.end();
      for (const s of servers) s.child.kill('SIGTERM');
      await Promise.all(servers.map((s) => new Promise((r) => (s.child.exitCode !== null ? r(undefined) : s.child.once('exit', r)))));
      await schema.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
