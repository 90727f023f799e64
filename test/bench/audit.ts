/**
 * Audit benchmarks (npm run bench:audit), printing figures:
 *  1. state-at-T latency for a model with 10k events (target <= 50 ms), replayed from the store;
 *  2. export of 100k events over HTTP: peak RSS while streaming (flat memory), beside a 10k export;
 *  3. verify events/s over N events (default 1M) beside a raw SHA-256 loop over the same bytes (target >= 0.5x).
 * Env: BENCH_AUDIT_VERIFY_EVENTS (default 1000000), BENCH_AUDIT_DIR (default a temp dir, removed after).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hash } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from '../../apps/registry-api/src/bootstrap.js';
import { validateConfig } from '#config';
import { AuditHistory } from '../../apps/registry-api/src/application/audit-history.js';
import { ModelStreamReader } from '#read-models';
import { EVENT_STORE } from '../../apps/registry-api/src/infrastructure/tokens.js';
import { devAuditKeyFile, loadAuditKey, verifyStore, writeCheckpoint } from '#audit';
import { ensureDevSigningKey, signDevToken } from '#auth';
import { hashInput, SqliteEventStore, type EventStore, type NewEvent, type SqlEventStore } from '#event-store';
import { SqliteDb, uuidv7 } from '#persistence';

const VERIFY_EVENTS = Number(process.env.BENCH_AUDIT_VERIFY_EVENTS ?? 1_000_000);
const dir = process.env.BENCH_AUDIT_DIR ?? mkdtempSync(join(tmpdir(), 'ml-bench-audit-'));
const clock = { now: () => new Date() };
const actor = { sub: 'bench', scopes: ['registry:write'] };
const hex = (n: number) => n.toString(16).padStart(64, '0');

function event(type: string, data: unknown): NewEvent {
  return { id: uuidv7(), type, schemaVersion: 1, data, metadata: { actor, correlationId: uuidv7(), reason: 'bench' } };
}
function registered(v: number): NewEvent {
  return event('VersionRegistered', {
    version: `1.${v}.0`,
    artifact: { uri: `s3://models/big/1.${v}.0/model.onnx`, digest: `sha256:${hex(v)}`, sizeBytes: 1024, format: 'onnx' },
    metrics: { auc: 0.9 },
    params: {},
    lineage: { runId: `run-${v}`, gitCommit: 'a'.repeat(40), datasetHash: `sha256:${hex(1000 + v)}` },
    tags: {},
  });
}
const gate = (v: number, i: number) => event('GatePassed', { version: `1.${v}.0`, gate: `gate-${i % 7}`, metrics: { auc: 0.9 + (i % 10) / 1000 } });

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/** 100k events: model "big" gets every tenth batch (10k events), 90k go to 50 other streams. */
async function seed100k(store: EventStore): Promise<void> {
  await store.append('model-big', [event('ModelCreated', { name: 'big', owners: ['bench'], tags: {} }), ...Array.from({ length: 99 }, (_, v) => registered(v))], {
    expectedRevision: 'no_stream',
  });
  let g = 0;
  for (let k = 1; k < 1000; k++) {
    if (k % 10 === 0) {
      await store.append('model-big', Array.from({ length: 100 }, () => gate(g % 99, g++)), { expectedRevision: 'any' });
    } else {
      await store.append(`model-other-${k % 50}`, Array.from({ length: 100 }, (_, i) => gate(i % 20, k * 100 + i)), { expectedRevision: 'any' });
    }
  }
}

async function benchStateAt(app: NestFastifyApplication): Promise<void> {
  const store = app.get<SqlEventStore>(EVENT_STORE);
  const events = await new AuditHistory(new ModelStreamReader(store, store)).events('big');
  const mid = events[Math.floor(events.length / 2)].recordedAt;
  const cuts = [
    ['now (all events)', undefined],
    [`at ${mid} (~half)`, { at: mid }],
  ] as const;
  for (const [label, cut] of cuts) {
    // Cold: a new AuditHistory each time, so every call replays the whole stream from the store.
    const cold: number[] = [];
    let replayed = 0;
    for (let i = 0; i < 15; i++) {
      const history = new AuditHistory(new ModelStreamReader(store, store));
      const t0 = performance.now();
      replayed = (await history.stateAt('big', cut)).eventCount;
      cold.push(performance.now() - t0);
    }
    // Warm: one AuditHistory (as in the server), snapshots every 1000 revisions from earlier calls.
    const history = new AuditHistory(new ModelStreamReader(store, store));
    await history.stateAt('big');
    const warm: number[] = [];
    for (let i = 0; i < 30; i++) {
      const t0 = performance.now();
      await history.stateAt('big', cut);
      warm.push(performance.now() - t0);
    }
    cold.sort((a, b) => a - b);
    warm.sort((a, b) => a - b);
    console.log(
      `state-at-T  model with ${events.length} events, ${label}, ${replayed} events folded: ` +
        `cold (full replay) p50 ${percentile(cold, 50).toFixed(1)} ms p95 ${percentile(cold, 95).toFixed(1)} ms; ` +
        `warm (snapshots) p50 ${percentile(warm, 50).toFixed(1)} ms p95 ${percentile(warm, 95).toFixed(1)} ms (target <= 50 ms)`,
    );
  }
}

async function benchExport(url: string, token: string, query: string, label: string): Promise<void> {
  global.gc?.();
  const base = process.memoryUsage().rss;
  let peak = base;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
  const t0 = performance.now();
  const res = await fetch(`${url}/v1/audit/export${query}`, { headers: { authorization: `Bearer ${token}` } });
  let bytes = 0;
  let lines = 0;
  const reader = res.body!.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
    for (let i = 0; i < value.length; i++) if (value[i] === 10) lines++;
  }
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage().rss);
  const s = (performance.now() - t0) / 1000;
  console.log(
    `export      ${label}: ${lines} records, ${mb(bytes)} in ${s.toFixed(2)} s (${Math.round(lines / s)} records/s); RSS before ${mb(base)}, peak ${mb(peak)} (+${mb(peak - base)})`,
  );
}

async function extendTo(store: SqliteEventStore, total: number, key: Awaited<ReturnType<typeof loadAuditKey>>): Promise<void> {
  let head = await store.headPosition();
  let k = 0;
  const t0 = performance.now();
  while (head < total) {
    const n = Math.min(500, total - head);
    const r = await store.append(`model-filler-${k++ % 100}`, Array.from({ length: n }, (_, i) => gate(i % 20, head + i)), { expectedRevision: 'any' });
    head = r.position;
    if (head % 1000 < 500) head = (await writeCheckpoint(store, key))?.position ?? head;
    if (k % 200 === 0) process.stderr.write(`\r  seeding ${head}/${total}`);
  }
  process.stderr.write(`\r  seeded ${head} events in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
}

async function benchVerify(store: SqliteEventStore, key: Awaited<ReturnType<typeof loadAuditKey>>): Promise<void> {
  const t0 = performance.now();
  const report = await verifyStore(store, { keys: [key.publicJwk] }, { pageSize: 5000 });
  const verifySeconds = (performance.now() - t0) / 1000;
  if (!report.ok) throw new Error(`bench chain does not verify: ${JSON.stringify(report.broken)}`);
  // The raw loop hashes exactly the texts verify hashes, with the same one-shot crypto.hash; only
  // the hashing is timed (reading and building the texts page by page is not): the ceiling verify
  // is compared with.
  let rawMs = 0;
  let bytes = 0;
  let after = 0;
  for (;;) {
    const rows = await store.readChain({ fromPosition: after, limit: 5000 });
    if (rows.length === 0) break;
    const inputs = rows.map((r) => Buffer.from(hashInput(r, r.dataJcs, r.metadataJcs), 'utf8'));
    const h0 = performance.now();
    for (const b of inputs) hash('sha256', b, 'hex');
    rawMs += performance.now() - h0;
    for (const b of inputs) bytes += b.length;
    after = rows[rows.length - 1].position;
  }
  const verifyRate = report.verified / verifySeconds;
  const rawRate = report.verified / (rawMs / 1000);
  console.log(
    `verify      ${report.verified} events (${mb(bytes)} hashed), ${report.checkpointsVerified} checkpoint signatures: ${verifySeconds.toFixed(2)} s = ${Math.round(verifyRate)} events/s`,
  );
  console.log(
    `raw sha256  same ${report.verified} inputs: ${(rawMs / 1000).toFixed(2)} s = ${Math.round(rawRate)} hashes/s; verify/raw = ${(verifyRate / rawRate).toFixed(2)}x (target >= 0.5x)`,
  );
}

async function main(): Promise<void> {
  console.log(`audit bench (SQLite, ${dir})`);
  const file = join(dir, 'ledger.db');
  {
    const db = new SqliteDb(file);
    const store = await SqliteEventStore.open(db, clock);
    const t0 = performance.now();
    await seed100k(store);
    process.stderr.write(`  seeded ${await store.headPosition()} events in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    await store.close();
    await db.close();
  }
  const config = validateConfig({ NODE_ENV: 'development', EVENT_STORE: 'sqlite', DATA_DIR: dir, LOG_LEVEL: 'error', AUDIT_CHECKPOINT_EVERY_EVENTS: '1000000' });
  const t0 = performance.now();
  const app = await createApp(config, { logger: ['error'] });
  await app.listen({ port: 0, host: '127.0.0.1' });
  process.stderr.write(`  app started (projected 100k events) in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  const url = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
  const token = await signDevToken(await ensureDevSigningKey(dir), { sub: 'bench', scope: 'audit:read' });
  await benchStateAt(app);
  await benchExport(url, token, '?model=big', 'filtered model=big (10k)');
  await benchExport(url, token, '', 'unfiltered (100k)');
  await benchExport(url, token, '?format=csv', 'unfiltered CSV (100k)');
  await app.close();

  const key = await loadAuditKey(devAuditKeyFile(dir), { create: true });
  const db = new SqliteDb(file);
  const store = await SqliteEventStore.open(db, clock);
  await extendTo(store, VERIFY_EVENTS, key);
  await benchVerify(store, key);
  await store.close();
  await db.close();
  if (!process.env.BENCH_AUDIT_DIR) rmSync(dir, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
