import { join } from 'node:path';
import { PostgresEventStore, SqliteEventStore, type EventStore, type NewEvent } from '#event-store';
import { PostgresDb, SqliteDb, uuidv7 } from '#persistence';
import { API_MAIN, AUDIENCE, ISSUER, benchKey, fmt, percentile, pgSchema, startProcess, stopProcess, tempDir } from './lib.js';

/**
 * Cold vs warm write latency on a model with a long stream (issue 14 §4): seeds a model with
 * COLD_EVENTS events straight into the store, starts the built server, and times the first write
 * to that model after /health/ready (cold: the stream is folded on the way) and then WARM writes.
 *
 *   npm run build && node dist/test/bench/cold-write.js          (SQLite; PostgreSQL too with DATABASE_URL)
 */
const EVENTS = Number(process.env.COLD_EVENTS ?? 1000);
const WARM = 20;
const digest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

function seedEvents(model: string, total: number): NewEvent[] {
  const actor = { sub: 'seed', scopes: [] };
  const ev = (type: string, data: unknown): NewEvent => ({ id: uuidv7(), type, schemaVersion: 1, data, metadata: { actor, correlationId: uuidv7() } });
  const events = [ev('ModelCreated', { name: model, owners: ['team'], tags: {} })];
  for (let i = 0; events.length < total; i++) {
    const version = `1.${i}.0`;
    events.push(ev('VersionRegistered', { version, artifact: { uri: `s3://cold/${i}`, digest: digest(i + 1), format: 'onnx' }, metrics: { auc: 0.9 }, params: {}, lineage: {}, tags: {} }));
    if (events.length < total) events.push(ev('GatePassed', { version, gate: 'eval', metrics: { auc: 0.9 } }));
    if (events.length < total) events.push(ev('StageChanged', { version, from: 'None', to: 'Staging' }));
  }
  return events;
}

async function seed(store: EventStore, model: string): Promise<void> {
  const events = seedEvents(model, EVENTS);
  for (let i = 0; i < events.length; i += 500) {
    await store.append(`model-${model}`, events.slice(i, i + 500), { expectedRevision: i === 0 ? 'no_stream' : i - 1 });
  }
}

async function measure(kind: 'sqlite' | 'postgres'): Promise<void> {
  const dir = tempDir('ml-cold-');
  const key = await benchKey(dir);
  const schema = kind === 'postgres' ? await pgSchema(process.env.DATABASE_URL!) : undefined;
  const model = 'cold';
  {
    const db = kind === 'sqlite' ? new SqliteDb(join(dir, 'ledger.db')) : new PostgresDb(schema!.url, { max: 2 });
    const clock = { now: () => new Date() };
    const store = kind === 'sqlite' ? await SqliteEventStore.open(db as SqliteDb, clock) : await PostgresEventStore.open(db as PostgresDb, clock);
    await seed(store, model);
    await store.close();
    await db.close();
  }
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const url = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    HOST: '127.0.0.1',
    PORT: String(port),
    EVENT_STORE: kind,
    DATA_DIR: dir,
    JWT_ISSUER: ISSUER,
    JWT_AUDIENCE: AUDIENCE,
    JWT_PUBLIC_KEY_FILE: key.file,
    JWT_ALGORITHMS: 'EdDSA',
    RELAY_ENABLED: 'false',
    LOG_LEVEL: 'error',
    ...(schema ? { DATABASE_URL: schema.url } : {}),
  };
  const token = await key.token('bench', 'registry:read registry:write');
  const started = Date.now();
  const child = await startProcess(API_MAIN, env, `${url}/health/ready`);
  const readyAfter = Date.now() - started;
  const write = async (n: number, target = model): Promise<number> => {
    const t0 = performance.now();
    const res = await fetch(`${url}/v1/models/${target}/versions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ artifact: { uri: `s3://cold/new-${n}`, digest: digest(1_000_000 + n), format: 'onnx' } }),
    });
    await res.text();
    if (res.status !== 201) throw new Error(`write failed: ${res.status}`);
    return performance.now() - t0;
  };
  try {
    // The very first request pays for code paths warming up: take it on a small model first,
    // so the next figure is the cost of the long stream alone.
    const tc = performance.now();
    const created = await fetch(`${url}/v1/models`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'small' }),
    });
    await created.text();
    const firstRequest = performance.now() - tc;
    const small = await write(-1, 'small');
    const cold = await write(0);
    const warm: number[] = [];
    for (let i = 1; i <= WARM; i++) warm.push(await write(i));
    warm.sort((a, b) => a - b);
    console.log(
      `${kind}: model with ${EVENTS} events — ready after ${fmt(readyAfter)} ms; first requests (small model) ${fmt(firstRequest, 1)} / ${fmt(small, 1)} ms; ` +
        `first write to the long model ${fmt(cold, 1)} ms (cold); ` +
        `next ${WARM} writes p50 ${fmt(percentile(warm, 50), 1)} ms, max ${fmt(warm[warm.length - 1], 1)} ms (warm)`,
    );
  } finally {
    await stopProcess(child);
    await schema?.drop();
  }
}

await measure('sqlite');
if (process.env.DATABASE_URL) await measure('postgres');
