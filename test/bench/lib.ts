import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import pg from 'pg';
import { randomBytes } from 'node:crypto';

export const NODE = process.execPath;
export const ISSUER = 'https://bench.idp';
export const AUDIENCE = 'model-ledger-bench';

export interface BenchKey {
  file: string;
  token(sub: string, scope: string): Promise<string>;
}

export async function benchKey(dir: string): Promise<BenchKey> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const file = join(dir, 'bench.jwk.json');
  writeFileSync(file, JSON.stringify({ ...(await exportJWK(publicKey)), alg: 'EdDSA', kid: 'bench' }));
  return {
    file,
    token: (sub, scope) =>
      new SignJWT({ scope })
        .setProtectedHeader({ alg: 'EdDSA', kid: 'bench' })
        .setSubject(sub)
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setExpirationTime('2h')
        .sign(privateKey as CryptoKey),
  };
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A fresh PostgreSQL schema for one bench run; returns a URL whose search_path points at it. */
export async function pgSchema(databaseUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const schema = `bench_${randomBytes(4).toString('hex')}`;
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  await c.query(`CREATE SCHEMA ${schema}`);
  await c.end();
  const url = new URL(databaseUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    url: url.toString(),
    drop: async () => {
      const d = new pg.Client({ connectionString: databaseUrl });
      await d.connect();
      await d.query(`DROP SCHEMA ${schema} CASCADE`);
      await d.end();
    },
  };
}

/** Starts a compiled entry point in its own process (the server must not share a core with the load generator). */
export async function startProcess(script: string, env: Record<string, string>, readyUrl: string, timeoutMs = 600_000): Promise<ChildProcess> {
  const child = spawn(NODE, [script], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${script} exited with ${child.exitCode}`);
    try {
      const r = await fetch(readyUrl);
      if (r.ok) return child;
    } catch {
      /* not up yet */
    }
    if (Date.now() > until) {
      child.kill();
      throw new Error(`${script} did not become ready`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  total: number;
}

export async function load(opts: autocannon.Options): Promise<LoadResult> {
  const r = await autocannon(opts);
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
    total: r.requests.total,
  };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

export const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** A private Ed25519 JWK for approval links: production refuses to start without one. */
export async function benchLinkKeyFile(dir: string): Promise<string> {
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const file = join(dir, 'approval-link.jwk.json');
  writeFileSync(file, JSON.stringify({ ...(await exportJWK(privateKey)), alg: 'EdDSA', kid: 'bench-link' }), { mode: 0o600 });
  return file;
}
