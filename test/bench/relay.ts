/**
 * Relay benchmark (needs KAFKA_BROKERS): promotion → consumer latency over the whole path
 * (HTTP command, append, relay, broker, consumer) and relay throughput from a backlog.
 *   npm run bench:relay        (BENCH_PROMOTIONS=200 BENCH_BACKLOG=20000 to change the sizes)
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { Kafka, logLevel } from 'kafkajs';
import { createApp } from '../../apps/registry-api/src/bootstrap.js';
import { validateConfig } from '#config';
import { SqliteEventStore, type NewEvent } from '#event-store';
import { SqliteDb, uuidv7 } from '#persistence';
import { KafkaPublisher, LocalLease, Relay } from '#relay';

process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
const hex = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

export interface RelayBenchResult {
  promotions: number;
  latencyMs: { p50: number; p99: number; max: number };
  backlogEvents: number;
  throughputEventsPerSec: number;
}

async function latency(brokers: string[], promotions: number): Promise<number[]> {
  const dir = mkdtempSync(join(tmpdir(), 'ml-bench-relay-'));
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  writeFileSync(join(dir, 'idp.jwk.json'), JSON.stringify({ ...(await exportJWK(publicKey)), alg: 'EdDSA', kid: 'bench' }));
  const id = `bench-${randomBytes(4).toString('hex')}`;
  const topics = { events: `${id}.events`, promotions: `${id}.promotions` };
  const kafka = new Kafka({ clientId: 'bench', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [topics.events, topics.promotions].map((topic) => ({ topic, numPartitions: 3, replicationFactor: 1 })) });
  await admin.disconnect();
  const config = validateConfig({
    NODE_ENV: 'test',
    EVENT_STORE: 'sqlite',
    DATA_DIR: dir,
    JWT_ISSUER: 'bench',
    JWT_AUDIENCE: 'bench',
    JWT_PUBLIC_KEY_FILE: join(dir, 'idp.jwk.json'),
    JWT_ALGORITHMS: 'EdDSA',
    KAFKA_BROKERS: brokers.join(','),
    KAFKA_TOPIC_EVENTS: topics.events,
    KAFKA_TOPIC_PROMOTIONS: topics.promotions,
  });
  const app = await createApp(config, { logger: ['error'] });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
  const token = (sub: string, scope: string) =>
    new SignJWT({ scope }).setProtectedHeader({ alg: 'EdDSA', kid: 'bench' }).setSubject(sub).setIssuer('bench').setAudience('bench').setIssuedAt().setExpirationTime('1h').sign(privateKey);
  const alice = await token('alice', 'registry:write');
  const bob = await token('bob', 'approvals:write');
  const rm = await token('rm', 'registry:promote');
  const call = async (path: string, tok: string, body: unknown) => {
    const r = await fetch(`${url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${tok}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (r.status >= 300) throw new Error(`${path}: ${r.status} ${await r.text()}`);
  };

  const arrivals = new Map<string, number>();
  const consumer = kafka.consumer({ groupId: `${id}-consumer`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic: topics.promotions, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const ce = JSON.parse(message.value!.toString());
      if (ce.type === 'dev.model-ledger.version.promoted.v1') arrivals.set(ce.subject, Date.now());
    },
  });
  const waitFor = async (subject: string) => {
    const until = Date.now() + 30_000;
    while (!arrivals.has(subject)) {
      if (Date.now() > until) throw new Error(`no ${subject} within 30 s`);
      await new Promise((r) => setImmediate(r));
    }
    return arrivals.get(subject)!;
  };
  await call('/v1/models', alice, { name: 'churn' });
  const samples: number[] = [];
  try {
    // Warm-up promotion (consumer group join, producer connect) is not measured.
    for (let i = 0; i <= promotions; i++) {
      const version = `1.${i}.0`;
      await call('/v1/models/churn/versions', alice, { version, artifact: { uri: `s3://b/${version}`, digest: hex(i + 1), format: 'onnx' } });
      await call(`/v1/models/churn/versions/${version}/approvals`, bob, { decision: 'approve' });
      const t0 = Date.now();
      await call(`/v1/models/churn/versions/${version}/transitions`, rm, { stage: 'Production' });
      const arrived = await waitFor(`churn/${version}`);
      if (i > 0) samples.push(arrived - t0);
    }
  } finally {
    await consumer.disconnect();
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return samples;
}

async function throughput(brokers: string[], backlog: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'ml-bench-relay-'));
  const db = new SqliteDb(join(dir, 'ledger.db'));
  const store = await SqliteEventStore.open(db, { now: () => new Date() });
  const actor = { sub: 'bench', scopes: [] };
  const ev = (type: string, data: unknown): NewEvent => ({ id: uuidv7(), type, schemaVersion: 1, data, metadata: { actor, correlationId: 'bench' } });
  const models = 50;
  const perModel = Math.ceil(backlog / models);
  for (let m = 0; m < models; m++) {
    const events: NewEvent[] = [ev('ModelCreated', { name: `m${m}`, owners: [], tags: {} })];
    for (let v = 0; events.length < perModel; v++) {
      events.push(ev('VersionRegistered', { version: `1.${v}.0`, artifact: { uri: `s3://b/m${m}/${v}`, digest: hex(m * 100_000 + v), format: 'onnx' }, metrics: {}, params: {}, lineage: {}, tags: {} }));
      events.push(ev('VersionPromoted', { version: `1.${v}.0`, from: 'None', to: 'Production' }));
    }
    await store.append(`model-m${m}`, events, { expectedRevision: 'no_stream' });
  }
  const head = await store.headPosition();
  const id = `bench-${randomBytes(4).toString('hex')}`;
  const topics = { events: `${id}.events`, promotions: `${id}.promotions` };
  const publisher = new KafkaPublisher({ brokers, clientId: 'bench', topics, partitions: 3, replicationFactor: 1 });
  await publisher.ensureTopics();
  const relay = new Relay(db, store, publisher, new LocalLease(), { topics, batchSize: 500 });
  // Connect first so the producer handshake is not counted.
  await publisher.publish([]);
  const t0 = performance.now();
  while ((await relay.publishNextBatch()) > 0);
  const seconds = (performance.now() - t0) / 1000;
  await publisher.close();
  await db.close();
  rmSync(dir, { recursive: true, force: true });
  return head / seconds;
}

export async function runRelayBench(): Promise<RelayBenchResult | undefined> {
  const brokers = process.env.KAFKA_BROKERS?.split(',').filter(Boolean);
  if (!brokers?.length) {
    console.log('relay bench skipped: KAFKA_BROKERS unset');
    return undefined;
  }
  const promotions = Number(process.env.BENCH_PROMOTIONS ?? 200);
  const backlog = Number(process.env.BENCH_BACKLOG ?? 20_000);
  const samples = (await latency(brokers, promotions)).sort((a, b) => a - b);
  const eps = await throughput(brokers, backlog);
  const result: RelayBenchResult = {
    promotions: samples.length,
    latencyMs: { p50: pct(samples, 50), p99: pct(samples, 99), max: samples[samples.length - 1] },
    backlogEvents: backlog,
    throughputEventsPerSec: Math.round(eps),
  };
  console.log(`relay: promotion → consumer latency over ${result.promotions} promotions (HTTP request start → kafkajs eachMessage):`);
  console.log(`  p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms (target ≤ 200 ms), max ${result.latencyMs.max} ms`);
  console.log(`relay: throughput from a ${backlog}-event backlog (batch 500, acks -1, idempotent, events + promotions topics): ${result.throughputEventsPerSec} events/s`);
  return result;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  runRelayBench().then(
    () => process.exit(0),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
