import { jest } from '@jest/globals';
import { Kafka as CloudEventsKafka, type CloudEvent as SdkCloudEvent } from 'cloudevents';
import { PROMOTION_EVENT_TYPES, VersionFactsLookup, type CloudEvent } from '#relay';
import { startTestApp, versionBody, type TestApp } from '../support/app.js';
import { collect, describeKafka, uniqueTopics, type Received } from '../support/kafka.js';

jest.setTimeout(180_000);

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

/**
 * Issue 14 §2: consumers we did not write. The official CloudEvents JavaScript SDK's Kafka binding
 * (`cloudevents` npm, Kafka.toEvent) reads both topics in each content mode from the real broker,
 * and every message parses with every attribute intact.
 */
async function lifecycle(t: TestApp): Promise<void> {
  const alice = await t.token('alice', ['registry:read', 'registry:write', 'gates:write']);
  const bob = await t.token('bob', ['registry:read', 'approvals:write']);
  const rm = await t.token('rm', ['registry:read', 'registry:promote']);
  const ok = async (p: Promise<{ status: number; body: unknown }>, status: number) => {
    const r = await p;
    if (r.status !== status) throw new Error(`expected ${status}, got ${r.status}: ${JSON.stringify(r.body)}`);
  };
  await ok(t.call('POST', '/v1/models', { token: alice, body: { name: 'churn', owners: ['team'] } }), 201);
  for (const [i, v] of ['1.0.0', '1.1.0'].entries()) {
    await ok(t.call('POST', '/v1/models/churn/versions', { token: alice, body: versionBody(v, i + 1) }), 201);
    await ok(t.call('POST', `/v1/models/churn/versions/${v}/approvals`, { token: bob, body: { decision: 'approve' } }), 201);
    await ok(
      t.call('POST', `/v1/models/churn/versions/${v}/transitions`, {
        token: rm,
        body: { stage: 'Production', reason: 'release', ...(i ? { archiveExisting: true } : {}) },
        headers: { traceparent: TRACEPARENT },
      }),
      200,
    );
  }
  await ok(t.call('PUT', '/v1/models/churn/aliases/champion', { token: rm, body: { version: '1.1.0' } }), 200);
}

/** What the relay meant to send for each stored model event, by CloudEvent id. */
async function expectedEvents(t: TestApp): Promise<Map<string, { ce: CloudEvent; storedType: string }>> {
  const stored = (await t.store.readAll({ limit: 10_000 })).filter((e) => e.stream.startsWith('model-'));
  const ces = await new VersionFactsLookup(t.store).toCloudEvents(stored);
  return new Map(ces.map((ce, i) => [ce.id, { ce, storedType: stored[i].type }]));
}

const toSdkMessage = (r: Received) => ({ key: r.key, value: r.raw, body: r.raw, headers: r.headers, timestamp: r.timestamp });

for (const mode of ['structured', 'binary'] as const) {
  describeKafka(`CloudEvents SDK Kafka binding, ${mode} mode`, () => {
    test(`Kafka.toEvent parses every message of both topics with all attributes intact (${mode})`, async () => {
      const topics = uniqueTopics(`ce-${mode}`);
      const t = await startTestApp('sqlite', { ...topics.env, KAFKA_CLOUDEVENTS_MODE: mode });
      try {
        await lifecycle(t);
        const expected = await expectedEvents(t);
        const promotions = [...expected.values()].filter((e) => PROMOTION_EVENT_TYPES.has(e.storedType)).length;
        expect(promotions).toBeGreaterThan(0);
        // The relay creates the topics with its first publish: subscribe once it has caught up.
        for (const until = Date.now() + 60_000; ; ) {
          const relay = (await t.call('GET', '/health/ready')).body?.checks?.relay;
          if (relay?.status === 'ok' && relay.eventsBehind === 0) break;
          if (Date.now() > until) throw new Error(`relay still behind: ${JSON.stringify(relay)}`);
          await new Promise((r) => setTimeout(r, 100));
        }
        const c = await collect([topics.events, topics.promotions]);
        try {
          const count = (topic: string) => c.received.filter((r) => r.topic === topic).length;
          await c.waitFor(() => count(topics.events) >= expected.size && count(topics.promotions) >= promotions, 60_000);
          for (const r of c.received) {
            const ceHeaders = Object.keys(r.headers).filter((h) => h.startsWith('ce_'));
            if (mode === 'structured') {
              expect(ceHeaders).toEqual([]);
              expect(r.headers['content-type']).toBe('application/cloudevents+json; charset=UTF-8');
            } else {
              expect(r.headers['content-type']).toBe('application/json');
            }
            expect(CloudEventsKafka.isEvent(toSdkMessage(r))).toBe(true);
            const parsed = CloudEventsKafka.toEvent(toSdkMessage(r)) as SdkCloudEvent<unknown>;
            expect(parsed.validate()).toBe(true);
            const want = expected.get(parsed.id);
            expect(want).toBeDefined();
            // Every attribute, the data, and the Kafka key (the SDK's partitionkey extension).
            expect(JSON.parse(JSON.stringify(parsed))).toEqual({ ...want!.ce, partitionkey: 'churn' });
            expect(r.headers.traceparent).toBe(want!.ce.traceparent);
          }
          const byTopic = (topic: string) => c.received.filter((r) => r.topic === topic).map((r) => (CloudEventsKafka.toEvent(toSdkMessage(r)) as SdkCloudEvent).id);
          expect(new Set(byTopic(topics.events))).toEqual(new Set(expected.keys()));
          expect(new Set(byTopic(topics.promotions)).size).toBe(promotions);
          // The events topic carries the model's gapless revision sequence (docs/events.md).
          const revisions = [...new Map(c.received.filter((r) => r.topic === topics.events).map((r) => {
            const e = CloudEventsKafka.toEvent(toSdkMessage(r)) as SdkCloudEvent<{ revision: number }>;
            return [e.id, e.data!.revision] as const;
          })).values()].sort((a, b) => a - b);
          expect(revisions).toEqual(revisions.map((_, i) => i));
          // The traced promotion kept its trace context through the SDK.
          expect(c.received.some((r) => (CloudEventsKafka.toEvent(toSdkMessage(r)) as SdkCloudEvent).traceparent === TRACEPARENT)).toBe(true);
        } finally {
          await c.stop();
        }
      } finally {
        await t.close();
      }
    });
  });
}
