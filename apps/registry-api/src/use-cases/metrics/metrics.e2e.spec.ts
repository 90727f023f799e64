import { startTestApp, versionBody, type TestApp } from '../../../../../test/support/app.js';
import { approversFile } from '../../../../../test/support/approvers.js';
import { issueLinks, page, waitFor } from '../../../../../test/support/links.js';

/** Parses Prometheus text into `name{labels} value` samples. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}
const value = (s: Map<string, number>, name: string, labels = '') => s.get(labels ? `${name}{${labels}}` : name);

describe('GET /metrics (OTel metrics SDK, Prometheus text)', () => {
  let t: TestApp;
  afterEach(async () => t.close());

  test('without a token; head position and projection lag; no relay series without a relay', async () => {
    t = await startTestApp('sqlite');
    const token = await t.token('alice', ['registry:write']);
    expect((await t.call('POST', '/v1/models', { token, body: { name: 'churn' } })).status).toBe(201);
    const r = await fetch(`${t.url}/metrics`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('text/plain');
    const text = await r.text();
    const head = await t.store.headPosition();
    expect(head).toBeGreaterThan(0);
    expect(text).toContain('# TYPE model_ledger_event_store_head_position gauge');
    expect(value(samples(text), 'model_ledger_event_store_head_position')).toBe(head);
    expect(value(samples(text), 'model_ledger_projection_lag_events')).toBe(0);
    expect(text).not.toContain('model_ledger_relay_');
  });

  test('after registry activity every metric is there with the counts the activity implies', async () => {
    // A relay whose broker is down: writes go on, the relay lag grows and shows.
    t = await startTestApp('sqlite', { KAFKA_BROKERS: '127.0.0.1:1', RELAY_ENABLED: 'true', REQUIRED_APPROVALS: '1', APPROVERS_FILE: approversFile(), APPROVAL_REQUESTS_AUTO: 'false' });
    const alice = await t.token('alice', ['registry:read', 'registry:write']);
    const bob = await t.token('bob', ['registry:read', 'approvals:write']);
    const rm = await t.token('rm', ['registry:read', 'registry:promote', 'approvals:write']);
    expect((await t.call('POST', '/v1/models', { token: alice, body: { name: 'churn' } })).status).toBe(201);
    expect((await t.call('POST', '/v1/models/churn/versions', { token: alice, body: versionBody('1.0.0', 1) })).status).toBe(201);
    expect((await t.call('POST', '/v1/models/churn/versions', { token: alice, body: versionBody('1.1.0', 2) })).status).toBe(201);
    // Refused: not approved yet.
    const refused = await t.call('POST', '/v1/models/churn/versions/1.0.0/transitions', { token: rm, body: { stage: 'Production', reason: 'early' } });
    expect(refused.status).toBe(422);
    const unmet: string[] = refused.body.errors.map((e: { rule: string }) => e.rule);
    expect(unmet.length).toBeGreaterThan(0);
    // One approval by link, one rejection over the API.
    const [link] = await issueLinks(t, rm, 'churn', '1.0.0', ['bob']);
    expect((await page(t, 'POST', link.token, { decision: 'approve', comment: 'ok' })).status).toBe(200);
    expect((await t.call('POST', '/v1/models/churn/versions/1.1.0/approvals', { token: bob, body: { decision: 'reject', comment: 'no' } })).status).toBe(201);
    expect((await t.call('POST', '/v1/models/churn/versions/1.0.0/transitions', { token: rm, body: { stage: 'Production', reason: 'go' } })).status).toBe(200);

    // The dispatcher delivered the link to the development outbox: one NotificationSent.
    const s = await waitFor('a delivered notification in /metrics', async () => {
      const now = samples(await (await fetch(`${t.url}/metrics`)).text());
      return (value(now, 'model_ledger_notification_deliveries_total', 'channel="outbox",outcome="delivered"') ?? 0) >= 1 ? now : undefined;
    });
    // append latency histogram: one observation per append
    expect(value(s, 'model_ledger_append_duration_seconds_count', 'outcome="ok"')).toBeGreaterThanOrEqual(6);
    expect(value(s, 'model_ledger_append_duration_seconds_bucket', 'outcome="ok",le="+Inf"')).toBe(value(s, 'model_ledger_append_duration_seconds_count', 'outcome="ok"'));
    // events by type
    expect(value(s, 'model_ledger_events_appended_total', 'type="ModelCreated"')).toBe(1);
    expect(value(s, 'model_ledger_events_appended_total', 'type="VersionRegistered"')).toBe(2);
    expect(value(s, 'model_ledger_events_appended_total', 'type="VersionPromoted"')).toBe(1);
    // refusals by unmet requirement
    for (const rule of unmet) expect(value(s, 'model_ledger_promotions_refused_total', `requirement="${rule}"`)).toBe(1);
    // approval requests and outcomes
    expect(value(s, 'model_ledger_approval_requests_total', 'via="request"')).toBe(1);
    expect(value(s, 'model_ledger_approval_outcomes_total', 'outcome="decided_by_link"')).toBe(1);
    expect(value(s, 'model_ledger_approval_outcomes_total', 'outcome="rejected"')).toBe(1);
    expect((value(s, 'model_ledger_approval_outcomes_total', 'outcome="approved"') ?? 0) + (value(s, 'model_ledger_approval_outcomes_total', 'outcome="approval_recorded"') ?? 0)).toBeGreaterThanOrEqual(1);
    // notification deliveries: the outbox delivery above; other channels present at 0
    expect(value(s, 'model_ledger_notification_deliveries_total', 'channel="outbox",outcome="delivered"')).toBe(1);
    expect(value(s, 'model_ledger_notification_deliveries_total', 'channel="email",outcome="delivered"')).toBe(0);
    // projection lag and relay lag
    expect(value(s, 'model_ledger_projection_lag_events')).toBe(0);
    const head = await t.store.headPosition();
    expect(value(s, 'model_ledger_relay_events_behind', 'relay="default"')).toBeGreaterThan(0);
    expect(value(s, 'model_ledger_relay_events_behind', 'relay="default"')).toBeLessThanOrEqual(head);
    expect(value(s, 'model_ledger_relay_seconds_behind', 'relay="default"')).toBeGreaterThanOrEqual(0);
    expect(value(s, 'model_ledger_relay_leader', 'relay="default"')).toBe(1);
  });

  test('the notification hook counts deliveries by channel and outcome (for channels that record no event)', async () => {
    t = await startTestApp('sqlite');
    const { LedgerMetrics } = await import('./ledger-metrics.js');
    const metrics = t.app.get(LedgerMetrics);
    metrics.notificationDelivery('email', 'delivered');
    metrics.notificationDelivery('webhook', 'failed');
    metrics.notificationDelivery('webhook', 'failed');
    const s = samples(await (await fetch(`${t.url}/metrics`)).text());
    expect(value(s, 'model_ledger_notification_deliveries_total', 'channel="email",outcome="delivered"')).toBe(1);
    expect(value(s, 'model_ledger_notification_deliveries_total', 'channel="webhook",outcome="failed"')).toBe(2);
  });
});
