import { jest } from '@jest/globals';
import { spawn } from 'node:child_process';
import { Kafka, logLevel } from 'kafkajs';
import { startTestApp, versionBody, digest, type TestApp } from '../support/app.js';
import { KAFKA_BROKERS, collect, describeKafka, firstSeenByKey, services, uniqueTopics, type Received } from '../support/kafka.js';

jest.setTimeout(180_000);

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

/** Drives the registry over HTTP like the teams using it would. */
function actors(t: TestApp) {
  const tokens = {
    alice: t.token('alice', ['registry:read', 'registry:write', 'gates:write']),
    bob: t.token('bob', ['registry:read', 'approvals:write']),
    rm: t.token('rm', ['registry:read', 'registry:promote']),
  };
  const ok = (r: { status: number; body: unknown }, expected: number) => {
    if (r.status !== expected) throw new Error(`expected ${expected}, got ${r.status}: ${JSON.stringify(r.body)}`);
    return r;
  };
  return {
    async model(name: string) {
      ok(await t.call('POST', '/v1/models', { token: await tokens.alice, body: { name, owners: ['team'] } }), 201);
    },
    /** Register, approve and promote one version: 4 events for the first version of a model, 5 after (the incumbent is archived). */
    async release(name: string, version: string, n: number, headers: Record<string, string> = {}) {
      ok(await t.call('POST', `/v1/models/${name}/versions`, { token: await tokens.alice, body: versionBody(version, n) }), 201);
      ok(await t.call('POST', `/v1/models/${name}/versions/${version}/approvals`, { token: await tokens.bob, body: { decision: 'approve' } }), 201);
      ok(
        await t.call('POST', `/v1/models/${name}/versions/${version}/transitions`, {
          token: await tokens.rm,
          body: { stage: 'Production', reason: 'release' },
          headers,
        }),
        200,
      );
    },
  };
}

async function waitForRelay(t: TestApp, ms = 60_000): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    const r = await t.call('GET', '/health/ready');
    if (r.body?.checks?.relay?.eventsBehind === 0 && r.body.checks.relay.status === 'ok') return;
    if (Date.now() > until) throw new Error(`relay still behind: ${JSON.stringify(r.body?.checks?.relay)}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

/** Every stored event arrived (by id), in position order per model, and duplicates repeat an id with identical content. */
/** Events in model streams: what the relay publishes (internal `$…` streams are not). */
async function modelEventCount(t: TestApp): Promise<number> {
  let n = 0;
  for (let from = 0; ; ) {
    const page = await t.store.readAll({ fromPosition: from, limit: 1000 });
    if (page.length === 0) return n;
    n += page.filter((e) => e.stream.startsWith('model-')).length;
    from = page[page.length - 1].position;
  }
}

async function expectAllDeliveredInOrder(t: TestApp, received: Received[]): Promise<void> {
  const stored = [];
  for (let from = 0; ; ) {
    const page = await t.store.readAll({ fromPosition: from, limit: 1000 });
    if (page.length === 0) break;
    stored.push(...page);
    from = page[page.length - 1].position;
  }
  const expected = new Map<string, string[]>();
  for (const e of stored) {
    if (!e.stream.startsWith('model-')) continue; // internal streams are not published
    const model = e.stream.replace(/^model-/, '');
    expected.set(model, [...(expected.get(model) ?? []), e.id]);
  }
  expect(firstSeenByKey(received)).toEqual(expected);
  const byId = new Map<string, string>();
  for (const r of received) {
    const text = JSON.stringify(r.value);
    if (byId.has(r.value.id)) expect(text).toBe(byId.get(r.value.id));
    byId.set(r.value.id, text);
  }
}

describeKafka('relay → Kafka (embedded SQLite API, relay in process)', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  test('a promotion reaches a consumer as a CloudEvent with the model as key, its artifact, and the traceparent header', async () => {
    const topics = uniqueTopics('promote');
    t = await startTestApp('sqlite', topics.env);
    const a = actors(t);
    await a.model('churn');
    await a.release('churn', '1.0.0', 8, { traceparent: TRACEPARENT });
    await waitForRelay(t);
    // The relay created the topics with the configured partitions.
    const admin = new Kafka({ clientId: 'test', brokers: KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const meta = await admin.fetchTopicMetadata({ topics: [topics.events, topics.promotions] });
    await admin.disconnect();
    expect(meta.topics.map((x) => x.partitions.length)).toEqual([3, 3]);

    const c = await collect([topics.promotions, topics.events]);
    try {
      await c.waitFor((r) => r.filter((m) => m.topic === topics.events).length === 5 && r.filter((m) => m.topic === topics.promotions).length === 2);
      const promotions = c.received.filter((m) => m.topic === topics.promotions);
      expect(promotions.map((m) => m.value.type)).toEqual(['dev.model-ledger.version.promoted.v1', 'dev.model-ledger.alias.set.v1']);
      const promoted = promotions[0];
      const [stored] = (await t.store.readStream('model-churn')).filter((e) => e.type === 'VersionPromoted');
      expect(promoted.key).toBe('churn');
      expect(promoted.headers.traceparent).toBe(TRACEPARENT);
      expect(promoted.headers['content-type']).toBe('application/cloudevents+json; charset=UTF-8');
      expect(promoted.value).toMatchObject({
        specversion: '1.0',
        id: stored.id,
        source: '/model-ledger/models/churn',
        type: 'dev.model-ledger.version.promoted.v1',
        subject: 'churn/1.0.0',
        time: stored.recordedAt,
        traceparent: TRACEPARENT,
        data: {
          model: 'churn',
          version: '1.0.0',
          stage: 'Production',
          artifact: { uri: 's3://models/churn/1.0.0/model.onnx', digest: digest(8) },
          imageDigest: digest(2008),
          actor: 'rm',
          reason: 'release',
          position: stored.position,
        },
      });
      expect(c.received.filter((m) => m.topic === topics.events).map((m) => m.value.type)).toEqual([
        'dev.model-ledger.model.created.v1',
        'dev.model-ledger.version.registered.v1',
        'dev.model-ledger.version.approved.v1',
        'dev.model-ledger.version.promoted.v1',
        'dev.model-ledger.alias.set.v1',
      ]);
    } finally {
      await c.stop();
    }
  });

  test('the example serving consumer logs the reload once per promotion and ignores a redelivered event', async () => {
    const topics = uniqueTopics('example');
    t = await startTestApp('sqlite', topics.env);
    const a = actors(t);
    await a.model('churn');
    await a.release('churn', '1.0.0', 8);
    await waitForRelay(t);
    const child = spawn(process.execPath, ['examples/serving-consumer/consumer.mjs'], {
      env: { ...process.env, KAFKA_BROKERS: KAFKA_BROKERS!, TOPIC: topics.promotions, MODEL: 'churn', FROM_BEGINNING: '1', GROUP_ID: `${topics.promotions}-serving` },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const waitOut = async (re: RegExp) => {
      const until = Date.now() + 30_000;
      while (!re.test(out)) {
        if (Date.now() > until) throw new Error(`no ${re} in: ${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    try {
      await waitOut(/reloading churn v1\.0\.0/);
      expect(out).toContain(`reloading churn v1.0.0 from s3://models/churn/1.0.0/model.onnx (${digest(8)})`);
      // Redeliver the same CloudEvent, as the relay may after a crash: the consumer must not reload twice.
      const [stored] = (await t.store.readStream('model-churn')).filter((e) => e.type === 'VersionPromoted');
      const c = await collect([topics.promotions]);
      await c.waitFor((r) => r.some((m) => m.value.id === stored.id));
      const original = c.received.find((m) => m.value.id === stored.id)!;
      await c.stop();
      const producer = new Kafka({ clientId: 'test', brokers: KAFKA_BROKERS!.split(','), logLevel: logLevel.NOTHING }).producer();
      await producer.connect();
      await producer.send({ topic: topics.promotions, messages: [{ key: 'churn', value: JSON.stringify(original.value) }] });
      await producer.disconnect();
      await waitOut(new RegExp(`duplicate ${stored.id} ignored`));
      await a.release('churn', '1.1.0', 9);
      await waitOut(/reloading churn v1\.1\.0/);
      expect(out.match(/reloading churn v1\.0\.0/g)).toHaveLength(1);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  });

  test('1,000 lifecycle events across 20 models are all delivered, in order per model', async () => {
    const topics = uniqueTopics('bulk');
    t = await startTestApp('sqlite', topics.env);
    const a = actors(t);
    // Per model: create (1) + 10 × (register, approve) (20) + first promotion (2) + 9 promotions over an incumbent (27) = 50.
    await Promise.all(
      Array.from({ length: 20 }, async (_, m) => {
        const name = `m${String(m).padStart(2, '0')}`;
        await a.model(name);
        for (let v = 1; v <= 10; v++) await a.release(name, `${v}.0.0`, m * 100 + v);
      }),
    );
    expect(await modelEventCount(t)).toBe(1000);
    await waitForRelay(t);
    const c = await collect([topics.events]);
    try {
      await c.waitFor((r) => new Set(r.map((m) => m.value.id)).size === 1000, 60_000);
      await expectAllDeliveredInOrder(t, c.received);
      // One key, one partition: a model's events never spread over partitions.
      const partitions = new Map<string, Set<number>>();
      for (const r of c.received) partitions.set(r.key, (partitions.get(r.key) ?? new Set()).add(r.partition));
      expect([...partitions.values()].every((p) => p.size === 1)).toBe(true);
      expect(partitions.size).toBe(20);
    } finally {
      await c.stop();
    }
  });

  test('a broker killed during a stream of promotions: the API keeps writing, readiness shows the lag, and everything arrives in order after the restart', async () => {
    const topics = uniqueTopics('outage');
    t = await startTestApp('sqlite', topics.env);
    const a = actors(t);
    const models = ['churn', 'fraud', 'ltv', 'upsell'];
    for (const m of models) await a.model(m);
    await a.release('churn', '1.0.0', 1);
    await waitForRelay(t);
    let writing = true;
    let writes = 0;
    const writer = (async () => {
      for (let v = 2; writing; v++) {
        for (const [i, m] of models.entries()) await a.release(m, `${v}.0.0`, v * 10 + i);
        writes++;
      }
    })();
    let lagDuringOutage: any;
    try {
      await new Promise((r) => setTimeout(r, 500));
      await services('kafka-kill');
      const before = writes;
      // Keep writing through the outage; the relay fails, backs off, and readiness reports it.
      const until = Date.now() + 30_000;
      for (;;) {
        await new Promise((r) => setTimeout(r, 200));
        const ready = await t.call('GET', '/health/ready');
        expect(ready.status).toBe(200);
        lagDuringOutage = ready.body.checks.relay;
        if ((lagDuringOutage.status === 'failing' && writes > before + 1) || Date.now() > until) break;
      }
      expect(writes).toBeGreaterThan(before);
      expect(lagDuringOutage).toMatchObject({ status: 'failing', leader: true, lastError: expect.any(String) });
      // The same lag in the Prometheus metrics.
      const metrics = await (await fetch(`${t.url}/metrics`)).text();
      const behind = /^model_ledger_relay_events_behind\{relay="[^"]+"\} (\d+)$/m.exec(metrics);
      expect(Number(behind?.[1])).toBeGreaterThan(0);
      expect(metrics).toMatch(/^model_ledger_relay_leader\{relay="[^"]+"\} 1$/m);
    } finally {
      await services('kafka-start');
    }
    await new Promise((r) => setTimeout(r, 1000));
    writing = false;
    await writer;
    expect(lagDuringOutage.eventsBehind).toBeGreaterThan(0);
    expect(lagDuringOutage.secondsBehind).toBeGreaterThan(0);
    await waitForRelay(t, 120_000);
    const lifecycleEvents = await modelEventCount(t);
    const c = await collect([topics.events]);
    try {
      await c.waitFor((r) => new Set(r.map((m) => m.value.id)).size === lifecycleEvents, 60_000);
      await expectAllDeliveredInOrder(t, c.received);
    } finally {
      await c.stop();
    }
  });
});

