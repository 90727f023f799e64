/**
 * `npm run bench` (full, ~30 min) and `npm run bench -- --quick` (~3 min): every row of issue 13's
 * table with its ceiling measured in the same run and the ratio, the median of BENCH_REPS (>= 3)
 * repetitions. Results: bench/results/latest.json, latest.md (the table) and latest.svg (chart).
 * Fixtures are written through the store from BENCH_SEED. Nothing is asserted; the bench is not in CI.
 *
 * Env: BENCH_SEED (42), BENCH_REPS (3), BENCH_PARTS (resolve,append,projection,verify,timetravel,relay),
 * BENCH_STORES (sqlite,postgres; PostgreSQL needs DATABASE_URL), BENCH_SECONDS (per load run),
 * BENCH_MODELS / BENCH_VERSIONS / BENCH_EVENTS (sizes), BENCH_OUT (results folder, default bench/results).
 */
import { execFile } from 'node:child_process';
import { hash } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { promisify } from 'node:util';
import { AuditHistory } from '../../apps/registry-api/src/application/audit-history.js';
import { verifyStore, verifyStoreParallel, type StoreSpec } from '#audit';
import {
  PostgresEventStore,
  SqliteEventStore,
  hashInput,
  type SqlEventStore,
} from '#event-store';
import { MIGRATIONS, PostgresDb, SqliteDb, migrationSql, uuidv7, type Dialect, type SqlDb } from '#persistence';
import { ModelStreamReader, Projector, SqlSnapshotStore } from '#read-models';
import { Snapshotter } from '../../apps/registry-api/src/application/snapshotter.js';
import { Fixture, fixtureClock, seedHistory, seedRegistry } from './fixtures.js';
import { API_MAIN, waitCaughtUp, benchKey, benchServerEnv, cpuSecondsOf, fmt, median, pgSchema, rssOf, startProcess, stopProcess, tempDir, wrk, indexAnswers } from './lib.js';
import { runRelayBench } from './relay.js';
import { writeReports, type BenchRow } from './report.js';

/** The events table exactly as migration 1 creates it, for the raw-INSERT ceilings. */
function eventsDdl(dialect: Dialect): string {
  const ddl = /CREATE TABLE IF NOT EXISTS events \([\s\S]*?\n\);/.exec(migrationSql(MIGRATIONS[0], dialect));
  if (!ddl) throw new Error('migration 1 no longer creates the events table as expected');
  return ddl[0];
}
const READ_MODEL_TABLES = ['rm_models', 'rm_versions', 'rm_aliases', 'rm_approval_queue', 'rm_audit', 'rm_checkpoints'];

const quick = process.argv.includes('--quick');
const SEED = Number(process.env.BENCH_SEED ?? 42);
const REPS = Math.max(3, Number(process.env.BENCH_REPS ?? 3));
const SECONDS = Number(process.env.BENCH_SECONDS ?? (quick ? 4 : 10));
const SIZES = quick
  ? { models: 500, versions: 4, projectionEvents: 30_000, sqliteAppends: 5_000, bigStream: 10_000 }
  : { models: 10_000, versions: 20, projectionEvents: 1_000_000, sqliteAppends: 30_000, bigStream: 10_000 };
// Overrides for a partial look (the results say which sizes were used).
SIZES.models = Number(process.env.BENCH_MODELS ?? SIZES.models);
SIZES.versions = Number(process.env.BENCH_VERSIONS ?? SIZES.versions);
SIZES.projectionEvents = Number(process.env.BENCH_EVENTS ?? SIZES.projectionEvents);
const parts = new Set((process.env.BENCH_PARTS ?? 'resolve,append,projection,verify,timetravel,relay').split(','));
const stores = (process.env.BENCH_STORES ?? 'sqlite,postgres').split(',').filter((s) => s === 'sqlite' || (s === 'postgres' && process.env.DATABASE_URL)) as (
  | 'sqlite'
  | 'postgres'
)[];
const rows: BenchRow[] = [];
const notes: string[] = [];
const root = tempDir('ml-bench-');
const log = (s: string) => console.log(s);
const secondsSince = (t0: number) => (performance.now() - t0) / 1000;

async function openStore(kind: 'sqlite' | 'postgres', file: string, url?: string, clock = fixtureClock()): Promise<{ db: SqlDb; store: SqlEventStore }> {
  if (kind === 'postgres') {
    const db = new PostgresDb(url!, { max: 8 });
    return { db, store: await PostgresEventStore.open(db, clock) };
  }
  const db = new SqliteDb(file);
  return { db, store: await SqliteEventStore.open(db, clock) };
}

/** Loads the API until at least 95% of a run's answers came from the resolve index (at most 6 runs). */
async function warmResolveIndex(base: string, run: (seconds: number) => Promise<{ requests: number }>, seconds: number): Promise<void> {
  for (let i = 0; i < 6; i++) {
    const before = await indexAnswers(base);
    const { requests } = await run(seconds);
    const share = requests ? ((await indexAnswers(base)) - before) / requests : 0;
    log(`[resolve] warm-up ${i + 1}: ${Math.round(share * 100)}% of ${fmt(requests)} answers from the resolve index`);
    if (share >= 0.95) return;
  }
}

/** Resolve under wrk load against the API and against a bare Fastify route returning the same JSON; then memory and restart time. */
async function benchResolve(kind: 'sqlite' | 'postgres', port: number): Promise<void> {
  const dir = tempDir(`ml-bench-resolve-${kind}-`);
  const key = await benchKey(dir);
  const schema = kind === 'postgres' ? await pgSchema(process.env.DATABASE_URL!) : undefined;
  try {
    const { db, store } = await openStore(kind, join(dir, 'ledger.db'), schema?.url);
    let t0 = performance.now();
    await seedRegistry(store, new Fixture(SEED), SIZES.models, SIZES.versions);
    const events = await store.headPosition();
    log(`[resolve ${kind}] seeded ${fmt(SIZES.models)} models × ${SIZES.versions} versions (${fmt(events)} events) in ${fmt(secondsSince(t0), 1)} s`);
    await store.close();
    await db.close();

    // Production defaults: NODE_ENV=production, LOG_LEVEL and tracing left as shipped (not set here).
    const env = await benchServerEnv({ kind, dir, port, keyFile: key.file, ...(schema ? { databaseUrl: schema.url } : {}) });
    const base = `http://127.0.0.1:${port}`;
    t0 = performance.now();
    let server = await startProcess(API_MAIN, env, `${base}/health/ready`);
    await waitCaughtUp(base);
    const firstStart = secondsSince(t0);
    const token = await key.token('reader', 'registry:read');
    const headers = { authorization: `Bearer ${token}` };
    const sample = await fetch(`${base}/v1/resolve?uri=models:/bench-0@prod`, { headers });
    const body = await sample.text();
    if (!sample.ok) throw new Error(`resolve failed: ${sample.status} ${body}`);
    const bodyFile = join(dir, 'resolve.json');
    writeFileSync(bodyFile, body);
    const bare = await startProcess('dist/test/bench/bare-server.js', { PORT: String(port + 1), BARE_BODY_FILE: bodyFile, BARE_TOKEN: token }, `http://127.0.0.1:${port + 1}/health/ready`);
    const paths = Array.from({ length: SIZES.models }, (_, i) => `/v1/resolve?uri=models:/bench-${i}@prod`);
    const load = (b: string, seconds = SECONDS) => wrk({ base: b, paths, connections: 64, seconds, headers, dir });
    // Warm-up: JIT, connection pools, and every path once into the resolve index (a cold index is
    // a miss through Nest and the database per model, measured by nothing here).
    // Repeated until nearly every answer of a warm-up run came from the index (on PostgreSQL one
    // run of the 10,000 misses was not always enough, and the first measured repetition missed).
    await warmResolveIndex(base, (seconds) => load(base, seconds), Math.max(2, Math.ceil(SIZES.models / 1000)));
    await load(`http://127.0.0.1:${port + 1}`, 1);
    const api: Awaited<ReturnType<typeof wrk>>[] = [];
    const ceiling: Awaited<ReturnType<typeof wrk>>[] = [];
    // CPU per request beside req/s: the server's own cost, which other load on the machine does not skew.
    const cpuPerRequest = async (b: string, pid: number) => {
      const before = cpuSecondsOf(pid);
      const result = await load(b);
      return { result, us: ((cpuSecondsOf(pid) - before) * 1e6) / result.requests };
    };
    const apiCpu: number[] = [];
    const bareCpu: number[] = [];
    for (let r = 0; r < REPS; r++) {
      const a = await cpuPerRequest(base, server.pid!);
      const b = await cpuPerRequest(`http://127.0.0.1:${port + 1}`, bare.pid!);
      api.push(a.result);
      ceiling.push(b.result);
      apiCpu.push(a.us);
      bareCpu.push(b.us);
      log(
        `[resolve ${kind}] rep ${r + 1}: API ${fmt(api[r].rps)} req/s p50 ${api[r].p50} p99 ${api[r].p99} ms, ${fmt(a.us, 1)} µs CPU/request (errors ${api[r].errors + api[r].non2xx}); ` +
          `bare ${fmt(ceiling[r].rps)} req/s p99 ${ceiling[r].p99} ms, ${fmt(b.us, 1)} µs CPU/request`,
      );
    }
    const mem = rssOf(server.pid!);
    await stopProcess(bare);
    await stopProcess(server);
    t0 = performance.now();
    server = await startProcess(API_MAIN, env, `${base}/health/ready`);
    const restart = secondsSince(t0);
    // The steady state: a restarted API (read models already projected) serving the same load. The
    // first start's peak above also holds projecting every event, a one-time cost of a fresh replica.
    const restarted = rssOf(server.pid!);
    await warmResolveIndex(base, (seconds) => load(base, seconds), Math.max(2, Math.ceil(SIZES.models / 1000)));
    const warmed = rssOf(server.pid!);
    await load(base);
    const serving = rssOf(server.pid!);
    log(
      `[resolve ${kind}] memory: first start (projecting ${fmt(events)} events, then serving) peak ${fmt(mem.peakMb)} MB; restarted ${fmt(restarted.rssMb)} MB, ` +
        `index warmed ${fmt(warmed.rssMb)} MB, serving: RSS ${fmt(serving.rssMb)} MB, peak ${fmt(serving.peakMb)} MB; ready ${fmt(restart, 1)} s after restart`,
    );
    await stopProcess(server);

    const ratios = api.map((a, i) => a.rps / ceiling[i].rps);
    const p99 = median(api.map((a) => a.p99));
    const bareP99 = median(ceiling.map((a) => a.p99));
    const ratio = median(ratios);
    const p99Limit = Math.min(2 * bareP99, bareP99 <= 5 ? 10 : Number.POSITIVE_INFINITY);
    rows.push({
      id: `resolve-${kind}`,
      path: `GET /v1/resolve?uri=models:/m@prod, 64 connections (wrk), ${kind}, ${fmt(SIZES.models)} models × ${SIZES.versions} versions`,
      value: median(api.map((a) => a.rps)),
      unit: 'req/s',
      ceiling: median(ceiling.map((a) => a.rps)),
      ceilingLabel: 'bare Fastify route, same JSON, same header check',
      ratio,
      ratios,
      target: `≥ 0.6×, p99 ≤ ${fmt(p99Limit, 1)} ms (2× bare p99${bareP99 <= 5 ? ', ≤ 10 ms' : ''})`,
      met: ratio >= 0.6 && p99 <= p99Limit,
      latency: { p50: median(api.map((a) => a.p50)), p90: median(api.map((a) => a.p90)), p99, bareP50: median(ceiling.map((a) => a.p50)), bareP99 },
      errors: api.reduce((s, a) => s + a.errors + a.non2xx, 0),
      extra: { cpuUsPerRequest: median(apiCpu), bareCpuUsPerRequest: median(bareCpu) },
    });
    rows.push({
      id: `memory-${kind}`,
      path: `API memory serving the resolve load (${fmt(events)} events, ${kind}), restarted; ready after a restart`,
      value: serving.peakMb,
      unit: 'MB peak RSS',
      target: 'RSS ≤ 256 MB; ready ≤ 5 s after a restart',
      met: serving.peakMb <= 256 && restart <= 5,
      extra: { rssMb: serving.rssMb, firstStartPeakMb: mem.peakMb, readyAfterRestartS: restart, firstStartIncludingProjectionS: firstStart },
    });
  } finally {
    await schema?.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const run = promisify(execFile);

/** pgbench: raw INSERTs of rows shaped as events (same columns, constraints and durability) — the append ceiling. */
async function pgbenchInsert(url: string, clients: number, seconds: number, dir: string): Promise<number> {
  const u = new URL(url);
  const script = join(dir, 'raw-insert.sql');
  writeFileSync(
    script,
    `INSERT INTO raw_events (position, id, stream, revision, type, schema_version, data, metadata, recorded_at, prev_hash, hash)
VALUES (nextval('raw_pos'), gen_random_uuid(), 'raw-' || nextval('raw_stream'), 0, 'GatePassed', 1,
 '{"gate":"offline-quality","status":"passed","version":"1.0.0"}', '{"actor":{"scopes":[],"sub":"bench"},"correlationId":"c"}',
 now()::text, '${'0'.repeat(64)}', md5(random()::text) || md5(random()::text));\n`,
  );
  const { stdout } = await run(
    'pgbench',
    ['-n', '-h', u.hostname, '-p', u.port || '5432', '-U', decodeURIComponent(u.username), '-c', String(clients), '-j', String(Math.min(clients, 2)), '-T', String(seconds), '-f', script, u.pathname.slice(1)],
    { env: { ...process.env, PGPASSWORD: decodeURIComponent(u.password), PGOPTIONS: u.searchParams.get('options') ?? '' } },
  );
  const tps = Number(/tps = ([\d.]+)/.exec(stdout)?.[1]);
  if (Number.isFinite(tps)) return tps;
  const done = Number(/number of transactions actually processed: (\d+)/.exec(stdout)?.[1]);
  if (Number.isFinite(done)) return done / seconds;
  throw new Error(`pgbench printed no rate:\n${stdout}`);
}

/** Appends through the store for `seconds`: `writers` loops, each one event per append to its own stream. */
async function appendLoad(store: SqlEventStore, writers: number, seconds: number, tag: string): Promise<number> {
  const until = performance.now() + seconds * 1000;
  let count = 0;
  const fx = new Fixture(SEED + writers);
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      let rev = -1;
      while (performance.now() < until) {
        const e = fx.gate('1.0.0');
        await store.append(`append-${tag}-${w}`, [{ ...e, id: uuidv7() }], { expectedRevision: rev < 0 ? 'no_stream' : rev });
        rev++;
        count++;
      }
    }),
  );
  return count / seconds;
}

async function benchAppendPostgres(): Promise<void> {
  const dir = tempDir('ml-bench-append-pg-');
  const schema = await pgSchema(process.env.DATABASE_URL!);
  try {
    const db = new PostgresDb(schema.url, { max: 8 });
    const store = await PostgresEventStore.open(db, { now: () => new Date() });
    await db.exec(`${eventsDdl('postgres').replace('events', 'raw_events')} CREATE SEQUENCE raw_pos; CREATE SEQUENCE raw_stream;`);
    await appendLoad(store, 32, 1, 'warm');
    for (const writers of [32, 1]) {
      const values: number[] = [];
      const ceilings: number[] = [];
      for (let r = 0; r < REPS; r++) {
        values.push(await appendLoad(store, writers, Math.max(3, SECONDS), `${writers}-${r}`));
        ceilings.push(await pgbenchInsert(schema.url, writers, Math.max(3, SECONDS), dir));
        log(`[append postgres ${writers}] rep ${r + 1}: store ${fmt(values[r])} events/s; pgbench raw INSERT ${fmt(ceilings[r])}/s`);
      }
      const ratios = values.map((v, i) => v / ceilings[i]);
      rows.push({
        id: `append-postgres-${writers}`,
        path: `append through the store, PostgreSQL, ${writers} concurrent appender${writers > 1 ? 's' : ''} (one event each, own stream)`,
        value: median(values),
        unit: 'events/s',
        ceiling: median(ceilings),
        ceilingLabel: `pgbench raw INSERT of event-shaped rows, ${writers} client${writers > 1 ? 's' : ''}`,
        ratio: median(ratios),
        ratios,
        target: '≥ 0.5×',
        met: median(ratios) >= 0.5,
      });
    }
    await store.close();
    await db.close();
  } finally {
    await schema.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function benchAppendSqlite(): Promise<void> {
  const dir = tempDir('ml-bench-append-sqlite-');
  try {
    const values: number[] = [];
    const ceilings: number[] = [];
    for (let r = 0; r < REPS; r++) {
      const db = new SqliteDb(join(dir, `ledger-${r}.db`));
      const store = await SqliteEventStore.open(db, { now: () => new Date() });
      const fx = new Fixture(SEED);
      const n = SIZES.sqliteAppends;
      let t0 = performance.now();
      for (let i = 0; i < n; i++) await store.append(`append-${i % 100}`, [fx.gate('1.0.0')], { expectedRevision: 'any' });
      values.push(n / secondsSince(t0));
      await store.close();
      await db.close();
      // Ceiling: node:sqlite autocommit INSERTs of the same rows, same file settings (WAL, synchronous=NORMAL).
      const raw = new DatabaseSync(join(dir, `raw-${r}.db`));
      raw.exec(`PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; ${eventsDdl('sqlite')}`);
      const insert = raw.prepare('INSERT INTO events (position, id, stream, revision, type, schema_version, data, metadata, recorded_at, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
      const data = JSON.stringify(fx.gate('1.0.0').data);
      t0 = performance.now();
      for (let i = 1; i <= n; i++) insert.run(i, uuidv7(), `append-${i % 100}`, Math.floor(i / 100), 'GatePassed', 1, data, '{}', new Date().toISOString(), '0'.repeat(64), '1'.repeat(64));
      ceilings.push(n / secondsSince(t0));
      raw.close();
      log(`[append sqlite 1] rep ${r + 1}: store ${fmt(values[r])} events/s; node:sqlite autocommit INSERT ${fmt(ceilings[r])}/s`);
    }
    const ratios = values.map((v, i) => v / ceilings[i]);
    rows.push({
      id: 'append-sqlite-1',
      path: 'append through the store, SQLite, 1 writer (one event per append)',
      value: median(values),
      unit: 'events/s',
      ceiling: median(ceilings),
      ceilingLabel: 'node:sqlite autocommit INSERT, same row shape',
      ratio: median(ratios),
      ratios,
      target: '≥ 10,000 events/s',
      met: median(values) >= 10_000,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Shared by projection, verify and time travel: a store holding SIZES.projectionEvents events plus one model with SIZES.bigStream events. */
async function historyStore(kind: 'sqlite' | 'postgres', dir: string, url?: string): Promise<{ db: SqlDb; store: SqlEventStore; events: number }> {
  const { db, store } = await openStore(kind, join(dir, 'ledger.db'), url);
  const fx = new Fixture(SEED);
  const t0 = performance.now();
  await seedHistory(store, fx, SIZES.projectionEvents, (n) => process.stderr.write(`\r  [${kind}] seeding ${fmt(n)}/${fmt(SIZES.projectionEvents)}`));
  const big: ReturnType<Fixture['ev']>[] = [fx.ev('ModelCreated', { name: 'big', owners: ['bench'], tags: {} })];
  for (let v = 0; v < 50; v++) big.push(fx.registered('big', `1.${v}.0`));
  let rev = -1;
  for (let i = 0; i < SIZES.bigStream; ) {
    const chunk = i === 0 ? big : Array.from({ length: Math.min(500, SIZES.bigStream - i) }, () => fx.gate(`1.${Math.floor(fx.rand() * 50)}.0`));
    await store.append('model-big', chunk, { expectedRevision: rev < 0 ? 'no_stream' : rev });
    rev += chunk.length;
    i += chunk.length;
  }
  const events = await store.headPosition();
  process.stderr.write(`\r  [${kind}] seeded ${fmt(events)} events through the store in ${fmt(secondsSince(t0), 1)} s\n`);
  return { db, store, events };
}

async function benchProjection(kind: 'sqlite' | 'postgres', db: SqlDb, store: SqlEventStore, events: number): Promise<void> {
  const values: number[] = [];
  const ceilings: number[] = [];
  for (let r = 0; r < REPS; r++) {
    // Empty read models (tables and indexes as the migrations made them), as before a rebuild.
    await db.exec(READ_MODEL_TABLES.map((t) => `DELETE FROM ${t};`).join(' '));
    let t0 = performance.now();
    await new Projector(db, store).catchUp();
    values.push(events / secondsSince(t0));
    t0 = performance.now();
    let from = 0;
    for (;;) {
      const page = await store.readAll({ fromPosition: from, limit: 500 });
      if (page.length === 0) break;
      from = page[page.length - 1].position;
    }
    ceilings.push(events / secondsSince(t0));
    log(`[projection ${kind}] rep ${r + 1}: ${fmt(values[r])} events/s; reading the same events alone ${fmt(ceilings[r])}/s`);
  }
  const ratios = values.map((v, i) => v / ceilings[i]);
  const target = kind === 'sqlite' ? 100_000 : 50_000;
  rows.push({
    id: `projection-${kind}`,
    path: `projecting ${fmt(events)} events into the read models (catch-up / rebuild), ${kind}`,
    value: median(values),
    unit: 'events/s',
    ceiling: median(ceilings),
    ceilingLabel: 'reading the same events alone (readAll pages of 500)',
    ratio: median(ratios),
    ratios,
    target: `≥ ${fmt(target)} events/s`,
    met: median(values) >= target,
  });
}

async function benchVerify(kind: 'sqlite' | 'postgres', store: SqlEventStore, events: number, spec: StoreSpec): Promise<void> {
  const values: number[] = [];
  const single: number[] = [];
  const ceilings: number[] = [];
  for (let r = 0; r < REPS; r++) {
    let t0 = performance.now();
    const one = await verifyStore(store, { keys: [] }, { pageSize: 5000 });
    if (!one.ok) throw new Error(`bench chain does not verify: ${JSON.stringify(one.broken)}`);
    single.push(one.verified / secondsSince(t0));
    t0 = performance.now();
    const report = await verifyStoreParallel(store, spec, { keys: [] }); // worker threads from 250k events on, as shipped
    if (!report.ok || report.verified !== one.verified) throw new Error(`parallel verify disagrees: ${JSON.stringify(report)}`);
    values.push(report.verified / secondsSince(t0));
    // Ceiling: one-shot SHA-256 over exactly the texts verify hashes; only the hashing is timed.
    let ms = 0;
    let after = 0;
    for (;;) {
      const page = await store.readChain({ fromPosition: after, limit: 5000 });
      if (page.length === 0) break;
      const inputs = page.map((c) => hashInput(c, c.dataJcs, c.metadataJcs));
      const h0 = performance.now();
      for (const text of inputs) hash('sha256', text, 'hex');
      ms += performance.now() - h0;
      after = page[page.length - 1].position;
    }
    ceilings.push(events / (ms / 1000));
    log(`[verify ${kind}] rep ${r + 1}: verifyStoreParallel ${fmt(values[r])} events/s (one thread ${fmt(single[r])}/s); raw SHA-256 over the same inputs ${fmt(ceilings[r])}/s`);
  }
  const ratios = values.map((v, i) => v / ceilings[i]);
  rows.push({
    id: `verify-${kind}`,
    path: `verify the chain, ${fmt(events)} events, ${kind}, ${events >= 250_000 ? `${availableParallelism()} worker threads` : 'one thread (workers start at 250k events)'} (verifyStore on one thread: ${fmt(median(single))} events/s)`,
    value: median(values),
    unit: 'events/s',
    ceiling: median(ceilings),
    ceilingLabel: 'raw SHA-256 over the same inputs (hashing only)',
    ratio: median(ratios),
    ratios,
    target: '≥ 0.5×',
    met: median(ratios) >= 0.5,
  });
}

async function benchTimeTravel(kind: 'sqlite' | 'postgres', db: SqlDb, store: SqlEventStore): Promise<void> {
  // As in the server: the snapshotter has followed the store, so model_snapshots holds every 1000th revision.
  await db.exec('DELETE FROM model_snapshots');
  const persisted = new SqlSnapshotStore(db);
  const snapshotter = new Snapshotter(store, new ModelStreamReader(store, store, persisted), persisted);
  const head = await store.headPosition();
  let t0 = performance.now();
  await snapshotter.onApplicationBootstrap();
  while ((await persisted.checkpoint()) < head) await new Promise((r) => setTimeout(r, 50));
  await snapshotter.onApplicationShutdown();
  log(`[timetravel ${kind}] snapshotter followed ${fmt(head)} events in ${fmt(secondsSince(t0), 1)} s`);
  const all = await store.readStream('model-big');
  const mid = all[Math.floor(all.length / 2)].recordedAt;
  const cold: number[] = [];
  const warm: number[] = [];
  for (let r = 0; r < Math.max(REPS, 9); r++) {
    // Cold: a new AuditHistory (fresh process state, persisted snapshots only) for each question.
    const history = new AuditHistory(new ModelStreamReader(store, store, persisted));
    t0 = performance.now();
    await history.stateAt('big', { at: mid });
    cold.push(performance.now() - t0);
    t0 = performance.now();
    await history.stateAt('big', { at: mid });
    warm.push(performance.now() - t0);
  }
  rows.push({
    id: `timetravel-${kind}`,
    path: `state of a model at an instant, ${fmt(all.length)} events in its stream, ${kind} (cold = first question, warm = repeated)`,
    value: median(cold),
    unit: 'ms cold',
    target: '≤ 50 ms cold, ≤ 5 ms warm',
    met: median(cold) <= 50 && median(warm) <= 5,
    extra: { warmMs: median(warm), coldRepsMs: cold, warmRepsMs: warm },
  });
}

async function main(): Promise<void> {
  const started = performance.now();
  const header = `model-ledger bench${quick ? ' --quick' : ''} — ${new Date().toISOString()} — node ${process.version}, ${cpus().length} cores, ${fmt(totalmem() / 2 ** 30, 1)} GB; seed ${SEED}, ${REPS} repetitions, ${SECONDS} s per load run`;
  log(header);
  notes.push(
    'Server: `NODE_ENV=production`, `LOG_LEVEL` and tracing as shipped (not set by the bench: logs at the default level `log`/info to stdout, discarded; resolve answers from the resolve index logged as the default `ACCESS_LOG_INDEX_HITS=summary`, one line per minute with counts per caller, every other request one line each; `OTEL_TRACES_EXPORTER` unset = tracing off), relay off (`RELAY_ENABLED=false`, it has its own bench).',
    'Each ratio is the median of the per-repetition ratios (the value and its ceiling measured back to back in the same repetition).',
  );
  if (!process.env.DATABASE_URL) notes.push('PostgreSQL rows skipped: DATABASE_URL unset.');
  for (const kind of stores) if (parts.has('resolve')) await benchResolve(kind, kind === 'sqlite' ? 18500 : 18600);
  if (parts.has('append')) {
    if (stores.includes('postgres')) await benchAppendPostgres();
    if (stores.includes('sqlite')) await benchAppendSqlite();
  }
  if (parts.has('projection') || parts.has('verify') || parts.has('timetravel')) {
    for (const kind of stores) {
      const dir = tempDir(`ml-bench-history-${kind}-`);
      const schema = kind === 'postgres' ? await pgSchema(process.env.DATABASE_URL!) : undefined;
      try {
        const { db, store, events } = await historyStore(kind, dir, schema?.url);
        if (parts.has('projection')) await benchProjection(kind, db, store, events);
        if (parts.has('verify')) await benchVerify(kind, store, events, { EVENT_STORE: kind, DATA_DIR: dir, ...(schema ? { DATABASE_URL: schema.url } : {}) });
        if (parts.has('timetravel')) await benchTimeTravel(kind, db, store);
        await store.close();
        await db.close();
      } finally {
        await schema?.drop();
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  if (parts.has('relay') && process.env.KAFKA_BROKERS && !quick) {
    log('\n## relay (Kafka)');
    await runRelayBench();
  }
  const out = resolve(process.env.BENCH_OUT ?? join('bench', 'results'));
  mkdirSync(out, { recursive: true });
  const table = writeReports(out, { header, quick, seed: SEED, reps: REPS, seconds: SECONDS, sizes: SIZES, durationS: secondsSince(started), rows, notes });
  log(`\n${table}`);
  log(`results: ${out}/latest.json, latest.md, latest.svg (${fmt(secondsSince(started), 0)} s)`);
  rmSync(root, { recursive: true, force: true });
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
