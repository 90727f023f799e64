import { jest } from '@jest/globals';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { PostgresEventStore, type NewEvent } from '#event-store';
import { PostgresDb, uuidv7 } from '#persistence';
import { PgAdvisoryLease, Relay, RelayCheckpoints, KafkaPublisher } from '#relay';
import { createTestSchema, DATABASE_URL } from '../support/pg.js';
import { startTestApp, versionBody } from '../support/app.js';
import { KAFKA_BROKERS, collect, describeKafka, firstSeenByKey, uniqueTopics } from '../support/kafka.js';

jest.setTimeout(240_000);

/** Needs both services: PostgreSQL (lease, scale-out) and Kafka. */
const describeBoth = DATABASE_URL
  ? describeKafka
  : (name: string, _fn: () => void) => {
      describe(name, () => test.skip('skipped: DATABASE_URL unset', () => undefined));
      console.warn(`skipped: DATABASE_URL unset — ${name}`);
    };

const actor = { sub: 'loader', scopes: [] };
const digest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

/** Lifecycle events written straight to the store: `models` models × `versions` (register + promote). */
async function seed(store: PostgresEventStore, models: number, versions: number, prefix = 'p'): Promise<void> {
  const ev = (type: string, data: unknown): NewEvent => ({ id: uuidv7(), type, schemaVersion: 1, data, metadata: { actor, correlationId: uuidv7() } });
  for (let m = 0; m < models; m++) {
    const stream = `model-${prefix}${m}`;
    const events: NewEvent[] = [ev('ModelCreated', { name: `${prefix}${m}`, owners: [], tags: {} })];
    for (let v = 1; v <= versions; v++) {
      events.push(ev('VersionRegistered', { version: `${v}.0.0`, artifact: { uri: `s3://m/p${m}/${v}`, digest: digest(m * 1000 + v), format: 'onnx' }, metrics: {}, params: {}, lineage: {}, tags: {} }));
      events.push(ev('VersionPromoted', { version: `${v}.0.0`, from: 'None', to: 'Production' }));
    }
    await store.append(stream, events, { expectedRevision: 'no_stream' });
  }
}

async function allIds(store: PostgresEventStore): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (let from = 0; ; ) {
    const page = await store.readAll({ fromPosition: from, limit: 1000 });
    if (page.length === 0) return out;
    for (const e of page) {
      const key = e.stream.replace(/^model-/, '');
      out.set(key, [...(out.get(key) ?? []), e.id]);
    }
    from = page[page.length - 1].position;
  }
}

async function until(pred: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describeBoth('relay process on PostgreSQL', () => {
  test('apps/relay killed with SIGKILL mid-stream resumes from its checkpoint on restart with nothing lost', async () => {
    // The child runs the built app, as in production.
    execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
    expect(existsSync('dist/apps/relay/src/main.js')).toBe(true);
    const schema = await createTestSchema('relay');
    const db = new PostgresDb(schema.url, { max: 4 });
    const store = await PostgresEventStore.open(db, { now: () => new Date() });
    const checkpoints = new RelayCheckpoints(db);
    const topics = uniqueTopics('kill');
    const env = { ...process.env, NODE_ENV: 'test', EVENT_STORE: 'postgres', DATABASE_URL: schema.url, RELAY_BATCH_SIZE: '10', LOG_LEVEL: 'warn', ...topics.env };
    const startRelay = (): ChildProcess => spawn(process.execPath, ['dist/apps/relay/src/main.js'], { env, stdio: ['ignore', 'inherit', 'inherit'] });
    let child: ChildProcess | undefined;
    try {
      // Small batches over a long backlog, so the kill lands well before the relay is done.
      await seed(store, 10, 250); // 10 × 501 = 5010 events
      child = startRelay();
      await until(async () => (await checkpoints.get('default')) >= 300, 60_000, 'the relay to pass position 300');
      child.kill('SIGKILL');
      await new Promise((r) => child!.once('exit', r));
      const atKill = await checkpoints.get('default');
      expect(atKill).toBeLessThan(5010);
      // More writes while no relay runs.
      await seed(store, 3, 10, 'late');
      const head = await store.headPosition();
      child = startRelay();
      await until(async () => (await checkpoints.get('default')) === head, 120_000, 'the restarted relay to reach the head');
      const c = await collect([topics.events]);
      try {
        await c.waitFor((r) => new Set(r.map((m) => m.value.id)).size === head, 60_000);
        expect(firstSeenByKey(c.received)).toEqual(await allIds(store));
        // At most the in-flight batch was sent twice.
        expect(c.received.length - head).toBeLessThanOrEqual(10 * 2);
      } finally {
        await c.stop();
      }
    } finally {
      if (child && child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child!.once('exit', r));
      }
      await store.close();
      await db.close();
      await schema.drop();
    }
  });

  test('the API on PostgreSQL runs the relay in process: a promotion reaches Kafka and readiness reports the relay as leader', async () => {
    const topics = uniqueTopics('pgapi');
    const t = await startTestApp('postgres', topics.env);
    try {
      const alice = await t.token('alice', ['registry:write']);
      const bob = await t.token('bob', ['approvals:write']);
      const rm = await t.token('rm', ['registry:promote']);
      expect((await t.call('POST', '/v1/models', { token: alice, body: { name: 'churn' } })).status).toBe(201);
      expect((await t.call('POST', '/v1/models/churn/versions', { token: alice, body: versionBody('2.0.0', 5) })).status).toBe(201);
      expect((await t.call('POST', '/v1/models/churn/versions/2.0.0/approvals', { token: bob, body: { decision: 'approve' } })).status).toBe(201);
      expect((await t.call('POST', '/v1/models/churn/versions/2.0.0/transitions', { token: rm, body: { stage: 'Production' } })).status).toBe(200);
      const c = await collect([topics.promotions]);
      try {
        await c.waitFor((r) => r.length === 2);
        expect(c.received.map((m) => [m.key, m.value.type, m.value.data.artifact.uri])).toEqual([
          ['churn', 'dev.model-ledger.version.promoted.v1', 's3://models/churn/2.0.0/model.onnx'],
          ['churn', 'dev.model-ledger.alias.set.v1', 's3://models/churn/2.0.0/model.onnx'],
        ]);
      } finally {
        await c.stop();
      }
      await until(async () => (await t.call('GET', '/health/ready')).body.checks.relay?.eventsBehind === 0, 10_000, 'relay lag 0');
      expect((await t.call('GET', '/health/ready')).body.checks.relay).toMatchObject({ status: 'ok', leader: true, eventsBehind: 0, secondsBehind: 0, position: 5 });
    } finally {
      await t.close();
    }
  });

  test('two relays with one name: the advisory lock lets one publish; when it stops the other takes over', async () => {
    const schema = await createTestSchema('lease');
    const db = new PostgresDb(schema.url, { max: 8 });
    const store = await PostgresEventStore.open(db, { now: () => new Date() }, { listen: true });
    const topics = uniqueTopics('lease');
    const make = () =>
      new Relay(
        db,
        store,
        new KafkaPublisher({ brokers: KAFKA_BROKERS!.split(','), clientId: 'lease-test', topics, partitions: 3, replicationFactor: 1 }),
        new PgAdvisoryLease(schema.url, 'default'),
        { topics, pollMs: 50, leaseRetryMs: 100 },
      );
    const a = make();
    const b = make();
    try {
      a.start();
      await until(async () => a.status().leader, 10_000, 'relay a to take the lease');
      b.start();
      await seed(store, 2, 5);
      await until(async () => a.status().position === 22, 30_000, 'relay a to publish');
      expect(b.status()).toMatchObject({ leader: false, published: 0 });
      await a.stop();
      await seed(store, 1, 5, 'q');
      await until(async () => b.status().position === 33, 30_000, 'relay b to take over');
      expect(b.status()).toMatchObject({ leader: true, published: 11 });
      const c = await collect([topics.events]);
      try {
        await c.waitFor((r) => r.length >= 33);
        await new Promise((r) => setTimeout(r, 300));
        expect(c.received).toHaveLength(33); // nothing published twice
        expect(firstSeenByKey(c.received)).toEqual(await allIds(store));
      } finally {
        await c.stop();
      }
    } finally {
      await a.stop();
      await b.stop();
      await store.close();
      await db.close();
      await schema.drop();
    }
  });
});
