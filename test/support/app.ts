import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from '../../apps/registry-api/src/bootstrap.js';
import { validateConfig } from '#config';
import { EVENT_STORE } from '../../apps/registry-api/src/infrastructure/tokens.js';
import type { EventStore } from '#event-store';
import { createTestSchema } from './pg.js';

export const ISSUER = 'https://idp.test';
export const AUDIENCE = 'model-ledger-test';

export interface TestApp {
  url: string;
  /** DATA_DIR of the app (the development outbox lives under it). */
  dataDir: string;
  databaseUrl?: string;
  keys: { privateKey: CryptoKey; publicKey: CryptoKey };
  app: NestFastifyApplication;
  store: EventStore;
  token(sub: string, scopes: string | string[], opts?: { expiresIn?: string; key?: CryptoKey; issuer?: string; audience?: string }): Promise<string>;
  /** fetch against the app with an optional bearer token; JSON bodies are encoded. */
  call(method: string, path: string, opts?: { token?: string; body?: unknown; headers?: Record<string, string> }): Promise<{ status: number; headers: Headers; body: any }>;
  close(): Promise<void>;
}

export const ALL_SCOPES = ['registry:read', 'registry:write', 'gates:write', 'approvals:write', 'registry:promote', 'audit:read'];

/**
 * The whole app on a real port, on a fresh SQLite file or a fresh PostgreSQL schema, verifying
 * tokens signed by a test key (as an identity provider would sign them).
 */
export async function startTestApp(
  kind: 'sqlite' | 'postgres' = 'sqlite',
  env: Record<string, string> = {},
  shared: {
    databaseUrl?: string;
    keys?: { privateKey: CryptoKey; publicKey: CryptoKey };
    clock?: { now(): Date };
    logger?: ('fatal' | 'error' | 'warn' | 'log' | 'debug' | 'verbose')[];
    /** Captures the server's JSON log lines (at `logger`'s most verbose level, else LOG_LEVEL). */
    logDestination?: { write(line: string): void };
  } = {},
): Promise<TestApp> {
  const dir = mkdtempSync(join(tmpdir(), 'ml-e2e-'));
  const { privateKey, publicKey } = shared.keys ?? (await generateKeyPair('EdDSA', { crv: 'Ed25519' }));
  const keyFile = join(dir, 'idp.jwk.json');
  writeFileSync(keyFile, JSON.stringify({ ...(await exportJWK(publicKey)), alg: 'EdDSA', kid: 'test' }));
  // A second replica passes the first one's databaseUrl and keys: same schema, same identity provider.
  const schema = kind === 'postgres' && !shared.databaseUrl ? await createTestSchema('e2e') : undefined;
  const config = validateConfig({
    NODE_ENV: 'test',
    EVENT_STORE: kind,
    DATA_DIR: dir,
    ...(schema ? { DATABASE_URL: schema.url } : shared.databaseUrl ? { DATABASE_URL: shared.databaseUrl } : {}),
    JWT_ISSUER: ISSUER,
    JWT_AUDIENCE: AUDIENCE,
    JWT_PUBLIC_KEY_FILE: keyFile,
    JWT_ALGORITHMS: 'EdDSA',
    BODY_LIMIT_BYTES: '65536',
    ...env,
  });
  // Tests log errors only, unless they ask for more or capture the log lines.
  const app = await createApp(config, {
    ...(shared.logger ? { logger: shared.logger } : shared.logDestination ? {} : { logger: ['error'] }),
    ...(shared.logDestination ? { logDestination: shared.logDestination } : {}),
    ...(shared.clock ? { clock: shared.clock } : {}),
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.getHttpServer().address() as { port: number };
  const url = `http://127.0.0.1:${address.port}`;
  const store = app.get<EventStore>(EVENT_STORE);
  return {
    url,
    dataDir: config.DATA_DIR,
    databaseUrl: schema?.url ?? shared.databaseUrl,
    keys: { privateKey, publicKey },
    app,
    store,
    async token(sub, scopes, opts = {}) {
      return new SignJWT({ scope: Array.isArray(scopes) ? scopes.join(' ') : scopes })
        .setProtectedHeader({ alg: 'EdDSA', kid: 'test' })
        .setSubject(sub)
        .setIssuer(opts.issuer ?? ISSUER)
        .setAudience(opts.audience ?? AUDIENCE)
        .setIssuedAt()
        .setExpirationTime(opts.expiresIn ?? '10m')
        .sign(opts.key ?? privateKey);
    },
    async call(method, path, opts = {}) {
      const headers: Record<string, string> = { ...(opts.headers ?? {}) };
      if (opts.token) headers.authorization = `Bearer ${opts.token}`;
      let body: string | undefined;
      if (opts.body !== undefined) {
        headers['content-type'] ??= 'application/json';
        body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
      }
      const res = await fetch(`${url}${path}`, { method, headers, body });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        /* not JSON */
      }
      return { status: res.status, headers: res.headers, body: parsed as any };
    },
    async close() {
      await app.close();
      await schema?.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const digest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;
export const GIT = 'a'.repeat(40);

export function versionBody(version: string, n: number, extra: Record<string, unknown> = {}) {
  return {
    version,
    artifact: { uri: `s3://models/churn/${version}/model.onnx`, digest: digest(n), sizeBytes: 1024, format: 'onnx' },
    signature: { inputs: [{ name: 'tenure', type: 'double' }], outputs: [{ name: 'p', type: 'double' }] },
    metrics: { auc: 0.9 },
    lineage: { runId: `run-${n}`, gitCommit: GIT, datasetHash: digest(1000 + n), image: { ref: 'serving/churn:1', digest: digest(2000 + n) } },
    ...extra,
  };
}

/** Model `name` with version 1.0.0 approved (by bob) and in Production (by alice), so `@prod` resolves. */
export async function seedProductionModel(t: TestApp, name = 'churn'): Promise<void> {
  const alice = await t.token('alice', ['registry:read', 'registry:write', 'registry:promote']);
  const bob = await t.token('bob', ['registry:read', 'approvals:write']);
  const steps: [string, string, unknown, number][] = [
    ['POST', '/v1/models', { name }, 201],
    ['POST', `/v1/models/${name}/versions`, versionBody('1.0.0', 1), 201],
    ['POST', `/v1/models/${name}/versions/1.0.0/approvals`, { decision: 'approve' }, 201],
    ['POST', `/v1/models/${name}/versions/1.0.0/transitions`, { stage: 'Production' }, 200],
  ];
  for (const [method, path, body, status] of steps) {
    const r = await t.call(method, path, { token: path.endsWith('/approvals') ? bob : alice, body });
    if (r.status !== status) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
  }
}
