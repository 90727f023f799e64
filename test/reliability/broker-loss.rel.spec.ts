import { jest } from '@jest/globals';
import { Kafka, logLevel } from 'kafkajs';
import { randomBytes } from 'node:crypto';
import type { Received } from '../support/kafka.js';
import { startTestApp, versionBody, type TestApp } from '../support/app.js';
import { checkRelayDelivery, readEverything } from './support/checks.js';
import { History, attempt, size, sleep } from './support/history.js';
import { OwnKafka, canRunOwnKafka } from './support/own-kafka.js';

jest.setTimeout(1_200_000);

const MODELS = 20;
const VERSIONS_PER_MODEL = size(49, 499); // + 1 ModelCreated = 1,000 events (reduced) or 10,000 (full)

async function consumeAll(brokers: string, topic: string, expected: number): Promise<Received[]> {
  const kafka = new Kafka({ clientId: 'rel-consumer', brokers: [brokers], logLevel: logLevel.NOTHING, retry: { retries: 30, maxRetryTime: 5000 } });
  const consumer = kafka.consumer({ groupId: `rel-${randomBytes(6).toString('hex')}`, maxWaitTimeInMs: 100 });
  const received: Received[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic: t, partition, message }) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(message.headers ?? {})) if (v !== undefined) headers[k] = String(v);
      const raw = message.value!.toString();
      received.push({ topic: t, partition, key: message.key?.toString() ?? '', headers, value: JSON.parse(raw), raw, timestamp: message.timestamp, receivedAt: Date.now() });
    },
  });
  const until = Date.now() + 180_000;
  while (new Set(received.map((r) => r.value.id)).size < expected && Date.now() < until) await sleep(200);
  await consumer.disconnect();
  return received;
}

(canRunOwnKafka() ? describe : describe.skip)('broker loss (own Kafka broker, SIGKILL mid-stream)', () => {
  let kafka: OwnKafka | undefined;
  let t: TestApp | undefined;
  afterAll(async () => {
    await t?.close();
    await kafka?.destroy();
  });

  test(`${MODELS * (VERSIONS_PER_MODEL + 1)} events across ${MODELS} models: the broker is SIGKILLed mid-stream and restarted; every event arrives, in order per model`, async () => {
    kafka = await OwnKafka.create();
    const history = new History('broker-loss');
    const topics = { events: `bl-${randomBytes(4).toString('hex')}.events`, promotions: `bl-${randomBytes(4).toString('hex')}.promotions` };
    t = await startTestApp('sqlite', { KAFKA_BROKERS: kafka.brokers, KAFKA_TOPIC_EVENTS: topics.events, KAFKA_TOPIC_PROMOTIONS: topics.promotions, KAFKA_TOPIC_PARTITIONS: '3' });
    const token = await t.token('writer', ['registry:read', 'registry:write']);
    const json = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
    const total = MODELS * (VERSIONS_PER_MODEL + 1);
    let written = 0;
    const writers = Array.from({ length: MODELS }, async (_, m) => {
      const model = `bl${m}`;
      const r = await attempt(history, { writer: m, kind: 'create', model, marker: `create:${model}` }, `${t!.url}/v1/models`, { method: 'POST', headers: json, body: JSON.stringify({ name: model }) });
      if (r.status !== 201) throw new Error(`create ${model}: ${r.status}`);
      written++;
      for (let n = 1; n <= VERSIONS_PER_MODEL; n++) {
        const v = await attempt(history, { writer: m, kind: 'register', model, marker: `${model}-${n}` }, `${t!.url}/v1/models/${model}/versions`, {
          method: 'POST',
          headers: json,
          body: JSON.stringify(versionBody(`1.${n}.0`, m * 10_000 + n)),
        });
        if (v.status !== 201) throw new Error(`register ${model} ${n}: ${v.status} ${JSON.stringify(v.body)}`);
        written++;
      }
    });
    // Kill the broker once about a third of the events are written (the relay is mid-stream).
    while (written < total / 3) await sleep(50);
    const lagBefore = (await (await fetch(`${t.url}/health/ready`)).json()) as any;
    await kafka.kill();
    history.note('broker SIGKILL', { written });
    await sleep(3000);
    const during = (await (await fetch(`${t.url}/health/ready`)).json()) as any;
    await kafka.start();
    history.note('broker restarted', { written });
    await Promise.all(writers);
    // The relay catches up by itself.
    const until = Date.now() + 300_000;
    let relay: any;
    for (;;) {
      relay = ((await (await fetch(`${t.url}/health/ready`)).json()) as any).checks.relay;
      if (relay.eventsBehind === 0 && relay.status === 'ok') break;
      if (Date.now() > until) throw new Error(`relay did not catch up: ${JSON.stringify(relay)}`);
      await sleep(250);
    }
    const events = await readEverything(t.store);
    const modelEvents = events.filter((e) => e.stream.startsWith('model-')).length;
    const received = await consumeAll(kafka.brokers, topics.events, modelEvents);
    const delivery = checkRelayDelivery(events, received);
    const duplicates = received.length - new Set(received.map((r) => r.value.id)).size;
    console.log(`[reliability] broker loss: ${JSON.stringify({ events: modelEvents, ...history.summary(), received: received.length, duplicates, ...delivery, relayDuringOutage: during.checks.relay?.status, readyDuringOutage: during.status })}`);
    expect(lagBefore.status).toBe('ok');
    expect(during.status).toBe('ok'); // writes go on: a broker outage never makes the API unready
    expect(history.summary()).toMatchObject({ ok: total, fail: 0, unknown: 0 });
    expect(modelEvents).toBe(total);
    expect(delivery).toMatchObject({ expected: total, missing: 0, outOfOrder: [] });
  });
});
