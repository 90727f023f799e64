import { jest } from '@jest/globals';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createTestSchema, describePg } from '../support/pg.js';
import { versionBody } from '../support/app.js';
import { freePort } from '../support/ports.js';

jest.setTimeout(300_000);

/**
 * Issue 13: the resolve index of one API process is invalidated by a write made through another
 * API process on the same PostgreSQL database (NOTIFY, or the poll as a fallback), without the
 * reader sending X-Min-Position. Both servers run as child processes from the build, as in
 * production, so nothing in memory is shared between them.
 */
const ISSUER = 'https://idp.replicas.test';
const AUDIENCE = 'model-ledger-replicas';

beforeAll(() => {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
});

describePg('resolve index across two API processes on one PostgreSQL', () => {
  test('a resolve cached (ETag, 304) by process B is answered anew once process A changes the model', async () => {
    const schema = await createTestSchema('rcache');
    const dir = mkdtempSync(join(tmpdir(), 'ml-rcache-'));
    const children: ChildProcess[] = [];
    try {
      const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
      const keyFile = join(dir, 'idp.jwk.json');
      writeFileSync(keyFile, JSON.stringify({ ...(await exportJWK(publicKey)), alg: 'EdDSA', kid: 'rc' }));
      const token = (sub: string, scope: string) =>
        new SignJWT({ scope }).setProtectedHeader({ alg: 'EdDSA', kid: 'rc' }).setSubject(sub).setIssuer(ISSUER).setAudience(AUDIENCE).setIssuedAt().setExpirationTime('30m').sign(privateKey);
      const start = async (name: string): Promise<string> => {
        const port = await freePort();
        const dataDir = join(dir, name);
        const child = spawn(process.execPath, ['dist/apps/registry-api/src/main.js'], {
          env: {
            ...process.env,
            NODE_ENV: 'test',
            HOST: '127.0.0.1',
            PORT: String(port),
            DATA_DIR: dataDir,
            EVENT_STORE: 'postgres',
            DATABASE_URL: schema.url,
            JWT_ISSUER: ISSUER,
            JWT_AUDIENCE: AUDIENCE,
            JWT_PUBLIC_KEY_FILE: keyFile,
            JWT_ALGORITHMS: 'EdDSA',
            RELAY_ENABLED: 'false',
            LOG_LEVEL: 'error',
          },
          stdio: ['ignore', 'inherit', 'inherit'],
        });
        children.push(child);
        const url = `http://127.0.0.1:${port}`;
        const deadline = Date.now() + 90_000;
        for (;;) {
          if (child.exitCode !== null) throw new Error(`server ${name} exited with ${child.exitCode}`);
          if (await fetch(`${url}/health/ready`).then((r) => r.ok, () => false)) return url;
          if (Date.now() > deadline) throw new Error(`server ${name} not ready in 90 s`);
          await new Promise((r) => setTimeout(r, 100));
        }
      };
      // One after the other: the first runs the migrations, the second finds nothing to do.
      const a = await start('a');
      const b = await start('b');
      const admin = await token('admin', 'registry:read registry:write gates:write');
      const reader = await token('reader', 'registry:read');
      const call = async (base: string, method: string, path: string, bearer: string, opts: { body?: unknown; headers?: Record<string, string> } = {}) => {
        const res = await fetch(`${base}${path}`, {
          method,
          headers: { authorization: `Bearer ${bearer}`, ...(opts.body ? { 'content-type': 'application/json' } : {}), ...opts.headers },
          body: opts.body ? JSON.stringify(opts.body) : undefined,
          signal: AbortSignal.timeout(30_000),
        });
        const text = await res.text();
        return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
      };

      expect((await call(a, 'POST', '/v1/models', admin, { body: { name: 'churn' } })).status).toBe(201);
      const registered = await call(a, 'POST', '/v1/models/churn/versions', admin, { body: versionBody('1.0.0', 1) });
      expect(registered.status).toBe(201);
      // Two entries of B's index for the same model: a version URI, and the same URI with stage=any.
      const path = `/v1/resolve?uri=${encodeURIComponent('models:/churn/1.0.0')}`;
      const other = `${path}&stage=any`;
      const position = registered.headers.get('x-ledger-position')!;
      const etags: Record<string, string> = {};
      for (const p of [path, other]) {
        // B has projected A's write (X-Min-Position once), answers it, then revalidates with 304.
        const first = await call(b, 'GET', p, reader, { headers: { 'x-min-position': position } });
        expect(first.status).toBe(200);
        expect(first.headers.get('etag')).toMatch(/^"[^"]+"$/);
        expect(first.body.gates ?? {}).not.toHaveProperty('bias-check');
        etags[p] = first.headers.get('etag')!;
        const again = await call(b, 'GET', p, reader, { headers: { 'if-none-match': etags[p] } });
        expect(again.status).toBe(304);
        expect(again.headers.get('etag')).toBe(etags[p]);
      }

      // The change lands on A; B must stop answering 304 for the old body without being told a position.
      expect((await call(a, 'POST', '/v1/models/churn/versions/1.0.0/gates', admin, { body: { gate: 'bias-check', status: 'passed' } })).status).toBe(201);
      let seen: Awaited<ReturnType<typeof call>> | undefined;
      for (let i = 0; i < 150; i++) {
        seen = await call(b, 'GET', path, reader, { headers: { 'if-none-match': etags[path] } });
        if (seen.status !== 304) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(seen!.status).toBe(200);
      expect(seen!.headers.get('etag')).not.toBe(etags[path]);
      expect(seen!.body.gates).toHaveProperty('bias-check');
      // B now knows of the change, so the other entry of that model is gone too, not served stale
      // (each request below may find B's index already current: none may answer 304).
      for (let i = 0; i < 5; i++) {
        await new Promise((r) => setTimeout(r, 100));
        const stale = await call(b, 'GET', other, reader, { headers: { 'if-none-match': etags[other] } });
        expect(stale.status).toBe(200);
        expect(stale.body.gates).toHaveProperty('bias-check');
      }
      // And the new answer is itself cached and revalidated on B.
      expect((await call(b, 'GET', path, reader, { headers: { 'if-none-match': seen!.headers.get('etag')! } })).status).toBe(304);
    } finally {
      for (const c of children) {
        if (c.exitCode === null && c.signalCode === null) {
          c.kill('SIGTERM');
          await new Promise((r) => c.once('exit', r));
        }
      }
      await schema.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
