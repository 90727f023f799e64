import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PostgresEventStore, SqliteEventStore, type EventStore, type NewEvent } from '#event-store';
import { PostgresDb, SqliteDb, uuidv7, type SqlDb } from '#persistence';
import { API_MAIN, benchKey, benchServerEnv, fmt, load, percentile, pgSchema, startProcess, stopProcess, tempDir } from './lib.js';

const MODELS = Number(process.env.BENCH_MODELS ?? 10_000);
const VERSIONS = Number(process.env.BENCH_VERSIONS ?? 20);
const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
const actor = { sub: 'bench', scopes: [] };
const digest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;
const ev = (type: string, data: unknown): NewEvent => ({ id: uuidv7(), type, schemaVersion: 1, data, metadata: { actor, correlationId: 'bench' } });

async function openStore(kind: 'sqlite' | 'postgres', dataDir: string, url?: string): Promise<{ db: SqlDb; store: EventStore }> {
  const clock = { now: () => new Date() };
  if (kind === 'postgres') {
    const db = new PostgresDb(url!, { max: 4 });
    return { db, store: await PostgresEventStore.open(db, clock) };
  }
  const db = new SqliteDb(join(dataDir, 'ledger.db'));
  return { db, store: await SqliteEventStore.open(db, clock) };
}

/** Store-level appends, one event per append, one writer: the raw cost of an append transaction. */
async function appendStoreLevel(store: EventStore, count: number): Promise<{ perSecond: number; p99: number }> {
  const latencies: number[] = [];
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    await store.append(`bench-append-${i % 100}`, [ev('GatePassed', { version: '1.0.0', gate: 'g' })], { expectedRevision: 'any' });
    latencies.push(performance.now() - t0);
  }
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { perSecond: count / seconds, p99: percentile(latencies, 99) };
}

/** 10k models × 20 versions, each with one approved version in Production behind @prod, written straight to the store. */
async function seedRegistry(store: EventStore): Promise<number> {
  let n = 0;
  for (let m = 0; m < MODELS; m++) {
    const name = `bench-${m}`;
    const events: NewEvent[] = [ev('ModelCreated', { name, owners: ['bench'], tags: { tier: String(m % 3) } })];
    for (let v = 0; v < VERSIONS; v++) {
      events.push(
        ev('VersionRegistered', {
          version: `1.${v}.0`,
          artifact: { uri: `s3://models/${name}/1.${v}.0/model.onnx`, digest: digest(++n), sizeBytes: 1_000_000, format: 'onnx' },
          metrics: { auc: 0.8 + v / 1000 },
          params: {},
          lineage: { runId: `run-${n}`, gitCommit: 'a'.repeat(40), datasetHash: digest(n + 1e9) },
          tags: {},
        }),
      );
    }
    const last = `1.${VERSIONS - 1}.0`;
    events.push(ev('VersionApproved', { version: last, approvals: 1, required: 1 }));
    events.push(ev('VersionPromoted', { version: last, from: 'None', to: 'Production' }));
    events.push(ev('AliasSet', { alias: 'prod', version: last }));
    await store.append(`model-${name}`, events, { expectedRevision: 'no_stream' });
  }
  return store.headPosition();
}

export async function benchCore(kind: 'sqlite' | 'postgres', port: number): Promise<void> {
  const dir = tempDir(`ml-bench-${kind}-`);
  const key = await benchKey(dir);
  const schema = kind === 'postgres' ? await pgSchema(process.env.DATABASE_URL!) : undefined;
  console.log(`\n## ${kind}`);

  const { db, store } = await openStore(kind, dir, schema?.url);
  const single = await appendStoreLevel(store, kind === 'sqlite' ? 20_000 : 3_000);
  console.log(`store append, 1 writer, 1 event/append: ${fmt(single.perSecond)} events/s, p99 ${fmt(single.p99, 2)} ms`);
  let t0 = performance.now();
  const seeded = await seedRegistry(store);
  console.log(`seeded ${fmt(MODELS)} models × ${VERSIONS} versions (${fmt(seeded)} events) through the store in ${fmt((performance.now() - t0) / 1000, 1)} s`);
  await store.close();
  await db.close();

  const env = await benchServerEnv({ kind, dir, port, keyFile: key.file, ...(schema ? { databaseUrl: schema.url } : {}) }, { LOG_LEVEL: 'warn' });
  const base = `http://127.0.0.1:${port}`;
  t0 = performance.now();
  const server = await startProcess(API_MAIN, env, `${base}/health/ready`);
  console.log(`server start incl. projecting ${fmt(seeded)} events: ${fmt((performance.now() - t0) / 1000, 1)} s`);
  try {
    const reader = await key.token('reader', 'registry:read');
    const auth = { authorization: `Bearer ${reader}` };
    const sample = await fetch(`${base}/v1/resolve?uri=models:/bench-0@prod`, { headers: auth });
    const sampleBody = await sample.text();
    if (!sample.ok) throw new Error(`resolve failed: ${sample.status} ${sampleBody}`);
    let i = 0;
    const resolve = await load({
      url: base,
      connections: 64,
      duration: DURATION,
      requests: [
        {
          method: 'GET',
          headers: auth,
          setupRequest: (req) => ({ ...req, path: `/v1/resolve?uri=models:/bench-${i++ % MODELS}@prod` }),
        },
      ],
    });
    const bodyFile = join(dir, 'resolve.json');
    writeFileSync(bodyFile, sampleBody);
    const bare = await startProcess('dist/test/bench/bare-server.js', { PORT: String(port + 1), BARE_BODY_FILE: bodyFile }, `http://127.0.0.1:${port + 1}/health/ready`);
    const baseline = await load({ url: `http://127.0.0.1:${port + 1}/v1/resolve?uri=models:/bench-0@prod`, connections: 64, duration: DURATION, headers: auth });
    await stopProcess(bare);
    console.log(
      `GET /v1/resolve, 64 connections, ${DURATION}s: ${fmt(resolve.rps)} req/s, p50 ${resolve.p50} ms, p99 ${resolve.p99} ms, errors ${resolve.errors + resolve.non2xx}`,
    );
    console.log(`bare Fastify route, same JSON:       ${fmt(baseline.rps)} req/s, p50 ${baseline.p50} ms, p99 ${baseline.p99} ms`);
    console.log(`resolve / bare = ${fmt(resolve.rps / baseline.rps, 2)} (target ≥ 0.6; p99 target ≤ 10 ms)`);

    // The same question through the MLflow-compatible route (MlflowClient.get_model_version_by_alias), same run, same models.
    let j = 0;
    const viaMlflow = await load({
      url: base,
      connections: 64,
      duration: DURATION,
      requests: [{ method: 'GET', headers: auth, setupRequest: (req) => ({ ...req, path: `/api/2.0/mlflow/registered-models/alias?name=bench-${j++ % MODELS}&alias=prod` }) }],
    });
    console.log(
      `GET /api/2.0/mlflow/registered-models/alias (get_model_version_by_alias), 64 connections, ${DURATION}s: ${fmt(viaMlflow.rps)} req/s, p50 ${viaMlflow.p50} ms, p99 ${viaMlflow.p99} ms, errors ${viaMlflow.errors + viaMlflow.non2xx}`,
    );
    console.log(`mlflow alias / native resolve = ${fmt(viaMlflow.rps / resolve.rps, 2)}`);

    // Appends over HTTP: 32 writers, each request records a gate result = one event appended.
    const writer = await key.token('ci', 'registry:read registry:write gates:write');
    const wauth = { authorization: `Bearer ${writer}`, 'content-type': 'application/json' };
    for (let w = 0; w < 32; w++) {
      const name = `append-${w}`;
      await fetch(`${base}/v1/models`, { method: 'POST', headers: wauth, body: JSON.stringify({ name }) });
      await fetch(`${base}/v1/models/${name}/versions`, {
        method: 'POST',
        headers: wauth,
        body: JSON.stringify({ version: '1.0.0', artifact: { uri: 's3://x', digest: digest(5e9 + w), format: 'onnx' } }),
      });
    }
    const before = await fetch(`${base}/health/ready`).then((r) => r.json() as Promise<{ checks: { eventStore: { head: number } } }>);
    let k = 0;
    const append = await load({
      url: base,
      connections: 32,
      duration: DURATION,
      requests: [
        {
          method: 'POST',
          headers: wauth,
          body: JSON.stringify({ gate: 'offline-quality', status: 'passed', metrics: { auc: 0.9 } }),
          setupRequest: (req) => ({ ...req, path: `/v1/models/append-${k++ % 32}/versions/1.0.0/gates` }),
        },
      ],
    });
    const after = await fetch(`${base}/health/ready`).then((r) => r.json() as Promise<{ checks: { eventStore: { head: number } } }>);
    const appended = after.checks.eventStore.head - before.checks.eventStore.head;
    console.log(
      `HTTP append, 32 writers, ${DURATION}s: ${fmt(appended / DURATION)} events/s (${fmt(appended)} events), p50 ${append.p50} ms, p99 ${append.p99} ms, errors ${append.errors + append.non2xx}`,
    );
  } finally {
    await stopProcess(server);
    await schema?.drop();
  }
}
