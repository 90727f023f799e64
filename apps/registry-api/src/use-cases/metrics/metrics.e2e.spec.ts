import { startTestApp, type TestApp } from '../../../../../test/support/app.js';

describe('GET /metrics', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp('sqlite');
  });
  afterEach(async () => t.close());

  test('exposes the event-store head and the projection lag in Prometheus text format, without a token', async () => {
    const token = await t.token('alice', ['registry:write']);
    expect((await t.call('POST', '/v1/models', { token, body: { name: 'churn' } })).status).toBe(201);
    const r = await fetch(`${t.url}/metrics`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('text/plain');
    const text = await r.text();
    const head = await t.store.headPosition();
    expect(head).toBeGreaterThan(0);
    expect(text).toContain('# TYPE model_ledger_event_store_head_position gauge');
    expect(text).toMatch(new RegExp(`^model_ledger_event_store_head_position ${head}$`, 'm'));
    expect(text).toMatch(/^model_ledger_projection_lag_events 0$/m);
    // No relay without KAFKA_BROKERS, so no relay series.
    expect(text).not.toContain('model_ledger_relay_');
  });
});
