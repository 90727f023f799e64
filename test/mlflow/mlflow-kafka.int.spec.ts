import { startTestApp, type TestApp } from '../support/app.js';
import { collect, describeKafka, uniqueTopics } from '../support/kafka.js';

/** Events written through the MLflow-compatible API, tombstones included, reach Kafka like any other. */
describeKafka('MLflow API events on Kafka', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  test('registration, digest recorded later and a version delete arrive as CloudEvents on the events topic, in order', async () => {
    const topics = uniqueTopics('mlflow');
    t = await startTestApp('sqlite', topics.env);
    const token = await t.token('writer', ['registry:read', 'registry:write']);
    const api = (p: string) => `/api/2.0/mlflow/${p}`;
    await t.call('POST', api('registered-models/create'), { token, body: { name: 'churn' } });
    await t.call('POST', api('model-versions/create'), { token, body: { name: 'churn', source: 's3://b/1' } });
    const digest = `sha256:${'c'.repeat(64)}`;
    expect((await t.call('POST', api('model-versions/set-tag'), { token, body: { name: 'churn', version: '1', key: 'model_ledger.artifact_digest', value: digest } })).status).toBe(200);
    expect((await t.call('DELETE', api('model-versions/delete'), { token, body: { name: 'churn', version: '1' } })).status).toBe(200);

    // Subscribe only once the relay has published everything (it creates the topics).
    const until = Date.now() + 60_000;
    for (;;) {
      const r = await t.call('GET', '/health/ready');
      if (r.body?.checks?.relay?.eventsBehind === 0 && r.body.checks.relay.status === 'ok') break;
      if (Date.now() > until) throw new Error(`relay still behind: ${JSON.stringify(r.body?.checks?.relay)}`);
      await new Promise((res) => setTimeout(res, 100));
    }
    const consumer = await collect([topics.events]);
    try {
      await consumer.waitFor((r) => r.some((m) => m.value.type === 'dev.model-ledger.version.deleted.v1'));
      const churn = consumer.received.filter((m) => m.key === 'churn').map((m) => m.value);
      expect(churn.map((e) => e.type)).toEqual([
        'dev.model-ledger.model.created.v1',
        'dev.model-ledger.version.registered.v1',
        'dev.model-ledger.version.digest-recorded.v1',
        'dev.model-ledger.version.deleted.v1',
      ]);
      // Registered without a digest: none on the wire until it is recorded; afterwards every event carries it.
      expect(churn[1].data.artifact).toEqual({ uri: 's3://b/1' });
      expect(churn[3].data).toMatchObject({ version: '1.0.0', artifact: { uri: 's3://b/1', digest }, actor: 'writer', payload: { version: '1.0.0', mlflowVersion: 1 } });
    } finally {
      await consumer.stop();
    }
  });
});
