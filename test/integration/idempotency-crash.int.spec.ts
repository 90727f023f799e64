import { jest } from '@jest/globals';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { eventIdempotencyKey, idempotencyHashes } from '../../apps/registry-api/src/http/idempotency.js';
import { PostgresEventStore, SqliteEventStore, type EventStore } from '#event-store';
import { PostgresDb, SqliteDb } from '#persistence';
import { createTestSchema, describePg } from '../support/pg.js';
import { digest, GIT } from '../support/app.js';
import { freePort } from '../support/ports.js';

jest.setTimeout(300_000);

/**
 * Issue 14 §1: 32 concurrent keyed writes, `kill -9` of the server mid-flight, restart, resend
 * every key. The server runs as a child process from the build, as in production.
 */
const WRITERS = 32;
const KILL_AFTER_ACKS = 96;
const ISSUER = 'https://idp.crash.test';
const AUDIENCE = 'model-ledger-crash';

interface Sent {
  key: string;
  model: string;
  body: Record<string, unknown>;
  /** The version the first answer named, when an answer came before the kill. */
  version?: string;
}

type Opened = { store: EventStore; close(): Promise<void> };

async function crashScenario(env: Record<string, string>, openStore: (dataDir: string) => Promise<Opened>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ml-crash-'));
  const open = () => openStore(dir);
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const keyFile = join(dir, 'idp.jwk.json');
  writeFileSync(keyFile, JSON.stringify({ ...(await exportJWK(publicKey)), alg: 'EdDSA', kid: 'crash' }));
  const token = await new SignJWT({ scope: 'registry:read registry:write' })
    .setProtectedHeader({ alg: 'EdDSA', kid: 'crash' })
    .setSubject('writer')
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime('30m')
    .sign(privateKey);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const childEnv = {
    ...process.env,
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATA_DIR: dir,
    JWT_ISSUER: ISSUER,
    JWT_AUDIENCE: AUDIENCE,
    JWT_PUBLIC_KEY_FILE: keyFile,
    JWT_ALGORITHMS: 'EdDSA',
    RELAY_ENABLED: 'false',
    LOG_LEVEL: 'error',
    IDEMPOTENCY_LEASE_SECONDS: '2',
    ...env,
  };
  let child: ChildProcess | undefined;
  const start = async (): Promise<ChildProcess> => {
    const c = spawn(process.execPath, ['dist/apps/registry-api/src/main.js'], { env: childEnv, stdio: ['ignore', 'inherit', 'inherit'] });
    const deadline = Date.now() + 90_000;
    for (;;) {
      if (c.exitCode !== null) throw new Error(`server exited with ${c.exitCode}`);
      const ok = await fetch(`${url}/health/ready`).then((r) => r.ok, () => false);
      if (ok) return c;
      if (Date.now() > deadline) throw new Error('server not ready in 90 s');
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const call = (path: string, body: unknown, key?: string) =>
    fetch(`${url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(60_000),
    });
  try {
    child = await start();
    const models = Array.from({ length: WRITERS }, (_, w) => `crash-${w}`);
    for (const name of models) expect((await call('/v1/models', { name })).status).toBe(201);

    // 32 writers, each sending keyed registrations (server-assigned version numbers, so a
    // duplicate would show as an extra version) until the server dies under them.
    const sent: Sent[] = [];
    let acks = 0;
    let inFlightAtKill = 0;
    let inFlight = 0;
    let killed = false;
    const victim = child;
    const writer = async (w: number) => {
      for (let j = 0; !killed; j++) {
        const key = `w${w}-${j}`;
        const body = {
          artifact: { uri: `s3://crash/${w}/${j}`, digest: digest(100_000 + w * 10_000 + j), format: 'onnx' },
          lineage: { runId: `r-${w}-${j}`, gitCommit: GIT },
        };
        const entry: Sent = { key, model: models[w], body };
        sent.push(entry);
        inFlight++;
        let answer: { status: number; json: { version?: string } } | undefined;
        try {
          const res = await call(`/v1/models/${models[w]}/versions`, body, key);
          answer = { status: res.status, json: (await res.json()) as { version?: string } };
        } catch {
          // The connection died with the server: this key's outcome is unknown to the client.
          killed = true;
        } finally {
          inFlight--;
        }
        if (!answer) break;
        expect(answer.status).toBe(201);
        entry.version = answer.json.version;
        if (++acks === KILL_AFTER_ACKS) {
          killed = true;
          inFlightAtKill = inFlight;
          victim.kill('SIGKILL');
        }
      }
    };
    await Promise.all(models.map((_, w) => writer(w)));
    if (victim.exitCode === null && victim.signalCode === null) await new Promise((r) => victim.once('exit', r));
    expect(victim.signalCode).toBe('SIGKILL');
    expect(inFlightAtKill).toBeGreaterThan(0);

    // What the dead process left: which unanswered keys had landed.
    const eventKey = (s: Sent) => {
      const h = idempotencyHashes({ sub: 'writer', scopes: ['registry:read', 'registry:write'] }, 'POST', `/v1/models/${s.model}/versions`, s.key, s.body);
      return eventIdempotencyKey(h.keyHash, h.requestHash);
    };
    const landedAtKill = new Map<string, string>();
    {
      const o = await open();
      for (const m of models) {
        for (const e of await o.store.readStream(`model-${m}`)) {
          if (e.type === 'VersionRegistered' && e.metadata.idempotencyKey) landedAtKill.set(e.metadata.idempotencyKey, (e.data as { version: string }).version);
        }
      }
      await o.close();
    }
    const unanswered = sent.filter((s) => !s.version);
    const unansweredLanded = unanswered.filter((s) => landedAtKill.has(eventKey(s)));

    // Restart on the same data and resend every key, answered or not, all at once.
    child = await start();
    const resend = async (s: Sent) => {
      const deadline = Date.now() + 60_000;
      for (;;) {
        const res = await call(`/v1/models/${s.model}/versions`, s.body, s.key);
        const json = (await res.json()) as { version?: string; code?: string };
        if (res.status !== 409 || json.code !== 'IDEMPOTENCY_KEY_IN_PROGRESS') return { status: res.status, version: json.version };
        // A claim of the dead process: wait as told, never forever.
        if (Date.now() > deadline) return { status: res.status, stuck: true };
        await new Promise((r) => setTimeout(r, Number(res.headers.get('retry-after') ?? '1') * 1000));
      }
    };
    const answers = await Promise.all(sent.map(resend));
    expect(answers.filter((a) => a.status !== 201)).toEqual([]);
    sent.forEach((s, i) => {
      // The original outcome: the version the first answer named, or the one that landed unanswered.
      const original = s.version ?? landedAtKill.get(eventKey(s));
      if (original) expect({ key: s.key, version: answers[i].version }).toEqual({ key: s.key, version: original });
    });

    // Every key executed exactly once: one VersionRegistered per key, none without a key, no extra version.
    child.kill('SIGTERM');
    await new Promise((r) => child!.once('exit', r));
    child = undefined;
    const o = await open();
    try {
      const perKey = new Map<string, number>();
      let registrations = 0;
      for (const m of models) {
        const versions = (await o.store.readStream(`model-${m}`)).filter((e) => e.type === 'VersionRegistered');
        registrations += versions.length;
        for (const e of versions) perKey.set(e.metadata.idempotencyKey ?? 'none', (perKey.get(e.metadata.idempotencyKey ?? 'none') ?? 0) + 1);
      }
      expect(registrations).toBe(sent.length);
      expect([...perKey.values()].filter((n) => n !== 1)).toEqual([]);
      expect(new Set(sent.map(eventKey))).toEqual(new Set(perKey.keys()));
    } finally {
      await o.close();
    }
    console.log(
      `crash (${env.EVENT_STORE}): ${sent.length} keys sent, ${acks} answered before kill -9, ${inFlightAtKill} in flight at the kill; ` +
        `unanswered ${unanswered.length} (landed ${unansweredLanded.length}, not landed ${unanswered.length - unansweredLanded.length}); every resend 201, one write per key`,
    );
  } finally {
    if (child && child.exitCode === null) {
      child.kill('SIGKILL');
      await new Promise((r) => child!.once('exit', r));
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

beforeAll(() => {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
});

describe('Idempotency-Key across kill -9 on SQLite (server in a child process)', () => {
  test('32 concurrent keyed writes, kill -9 mid-flight, restart, resend every key: original outcome or one fresh execution, none stuck, none duplicated', async () => {
    await crashScenario({ EVENT_STORE: 'sqlite' }, async (dataDir) => {
      const db = new SqliteDb(join(dataDir, 'ledger.db'));
      const store = await SqliteEventStore.open(db, { now: () => new Date() });
      return { store, close: () => db.close() };
    });
  });
});

describePg('Idempotency-Key across kill -9 on PostgreSQL', () => {
  test('32 concurrent keyed writes, kill -9 mid-flight, restart, resend every key: original outcome or one fresh execution, none stuck, none duplicated', async () => {
    const schema = await createTestSchema('crash');
    try {
      await crashScenario({ EVENT_STORE: 'postgres', DATABASE_URL: schema.url }, async () => {
        const db = new PostgresDb(schema.url, { max: 2 });
        const store = await PostgresEventStore.open(db, { now: () => new Date() });
        return { store, close: async () => (await store.close(), await db.close()) };
      });
    } finally {
      await schema.drop();
    }
  });
});
