import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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
/** The API's V8 flags as shipped (`npm start`, deploy/Dockerfile's CMD; test/deploy/node-flags.unit.spec.ts keeps them equal). */
export const API_MAIN = 'dist/apps/registry-api/src/main.js';
export const API_NODE_FLAGS = ['--max-semi-space-size=16', '--heap-growing-percent=50'];

export async function startProcess(script: string, env: Record<string, string>, readyUrl: string, timeoutMs = 600_000): Promise<ChildProcess> {
  const child = spawn(NODE, [...(script === API_MAIN ? API_NODE_FLAGS : []), script], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
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

/**
 * Waits until the API's read models hold every event (`/health/ready` reports projection lag 0):
 * ready means "serving", and a first start on a seeded store still projects in the background,
 * when every resolve is a miss.
 */
export async function waitCaughtUp(base: string, timeoutMs = 600_000): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    const ready = (await fetch(`${base}/health/ready`).then((r) => r.json())) as { checks?: { projections?: { lag?: number } } };
    if (ready.checks?.projections?.lag === 0) return (performance.now() - t0) / 1000;
    if (performance.now() - t0 > timeoutMs) throw new Error(`read models still behind after ${timeoutMs} ms: ${JSON.stringify(ready)}`);
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

export interface WrkResult {
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  requests: number;
  errors: number;
  non2xx: number;
}

const toMs = (value: string, unit: string) => Number(value) * (unit === 'us' ? 0.001 : unit === 's' ? 1000 : unit === 'm' ? 60_000 : 1);

/**
 * HTTP load from wrk (a separate native process, 2 threads) rather than a Node load generator,
 * which would take half of a 2-core machine from the server. `paths` rotate per request.
 */
export async function wrk(opts: { base: string; paths: string[]; connections: number; seconds: number; headers: Record<string, string>; dir: string }): Promise<WrkResult> {
  const script = join(opts.dir, `wrk-${randomBytes(3).toString('hex')}.lua`);
  writeFileSync(
    script,
    `local paths = {${opts.paths.map((p) => JSON.stringify(p)).join(',')}}\nlocal i = 0\nrequest = function()\n  i = i + 1\n  return wrk.format("GET", paths[(i % #paths) + 1])\nend\n`,
  );
  const args = ['-t2', `-c${opts.connections}`, `-d${opts.seconds}s`, '--latency', '-s', script];
  for (const [k, v] of Object.entries(opts.headers)) args.push('-H', `${k}: ${v}`);
  args.push(opts.base);
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    child.stdout.on('data', (d: Buffer) => (text += d.toString()));
    child.on('error', (err) => reject(new Error(`wrk could not start (bash scripts/services.sh up wrk): ${err.message}`)));
    child.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`wrk exited with ${code}: ${text}`))));
  });
  const pct = (p: string) => {
    const m = new RegExp(`^\\s*${p}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(out);
    return m ? toMs(m[1], m[2]) : NaN;
  };
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN),
    p50: pct('50'),
    p90: pct('90'),
    p99: pct('99'),
    requests: Number(/(\d+) requests in/.exec(out)?.[1] ?? 0),
    errors: socket ? socket.slice(1).reduce((s, x) => s + Number(x), 0) : 0,
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0),
  };
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Resident set size of a process (VmRSS) and its peak (VmHWM), in MB, from /proc. */
/** CPU seconds (user + system, all threads) a process has used: per request, a cost that other load on the machine does not skew. */
export function cpuSecondsOf(pid: number): number {
  const { user, system } = cpuTimesOf(pid);
  return user + system;
}

/** User and system CPU seconds of a process (or of one thread, with `/task/<tid>`), from /proc. */
export function cpuTimesOf(pid: number | string): { user: number; system: number; minorFaults: number } {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return { user: Number(fields[11]) / 100, system: Number(fields[12]) / 100, minorFaults: Number(fields[7]) };
}

export function rssOf(pid: number): { rssMb: number; peakMb: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
  } catch {
    return { rssMb: NaN, peakMb: NaN };
  }
}

/** A private Ed25519 JWK for approval links: production refuses to start without one. */
export async function benchLinkKeyFile(dir: string): Promise<string> {
  const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const file = join(dir, 'approval-link.jwk.json');
  writeFileSync(file, JSON.stringify({ ...(await exportJWK(privateKey)), alg: 'EdDSA', kid: 'bench-link' }), { mode: 0o600 });
  return file;
}

/**
 * The API's environment in a bench: production defaults (LOG_LEVEL and tracing as shipped unless
 * `extra` sets them), the bench's identity provider, and the relay off — it has its own bench and
 * would share the server's core.
 */
export async function benchServerEnv(
  where: { kind: 'sqlite' | 'postgres'; dir: string; port: number; keyFile: string; databaseUrl?: string },
  extra: Record<string, string> = {},
): Promise<Record<string, string>> {
  return {
    NODE_ENV: 'production',
    EVENT_STORE: where.kind,
    DATA_DIR: where.dir,
    ...(where.databaseUrl ? { DATABASE_URL: where.databaseUrl } : {}),
    PORT: String(where.port),
    HOST: '127.0.0.1',
    JWT_PUBLIC_KEY_FILE: where.keyFile,
    JWT_ALGORITHMS: 'EdDSA',
    JWT_ISSUER: ISSUER,
    JWT_AUDIENCE: AUDIENCE,
    RELAY_ENABLED: 'false',
    PUBLIC_BASE_URL: `http://127.0.0.1:${where.port}`,
    APPROVAL_LINK_KEY_FILE: await benchLinkKeyFile(where.dir),
    ...extra,
  };
}

/** Answers the API served from the resolve index so far (its /metrics counter, 200 and 304). */
export async function indexAnswers(base: string): Promise<number> {
  const text = await fetch(`${base}/metrics`).then((r) => r.text());
  let total = 0;
  for (const m of text.matchAll(/^model_ledger_resolve_index_answers(?:_total)?\{[^}]*\} (\d+)/gm)) total += Number(m[1]);
  return total;
}
