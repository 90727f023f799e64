import { jest } from '@jest/globals';
import pg from 'pg';
import { SQL_DB } from '../../apps/registry-api/src/infrastructure/tokens.js';
import type { SqlDb } from '#persistence';
import { Projector } from '#read-models';
import { startTestApp, type TestApp } from '../support/app.js';
import { KAFKA_BROKERS, createTopics, uniqueTopics } from '../support/kafka.js';
import { DATABASE_URL, createTestSchema } from '../support/pg.js';
import { approversFile } from '../support/approvers.js';
import { waitFor } from '../support/links.js';
import { checkLedger, awaitRelayDelivery, readEverything } from './support/checks.js';
import { History, attempt, sleep } from './support/history.js';
import { createModels, loadMarker, startWriters, waitForRelay } from './support/load.js';

jest.setTimeout(600_000);

const HOLD_SECONDS = 3;

/**
 * A transaction held open on PostgreSQL while other writers keep going: a trigger makes every
 * insert into the `model-slow` stream sleep inside its transaction (as a stalled disk or a lock
 * wait would). Positions are handed out under the append lock, so the others wait and commit
 * after it, never around it; the projections, the relay and the notification dispatcher,
 * following the store all the while, must skip nothing.
 */
(DATABASE_URL && KAFKA_BROKERS ? describe : describe.skip)('a slow transaction on PostgreSQL while others commit', () => {
  let a: TestApp | undefined;
  let b: TestApp | undefined;
  let drop: (() => Promise<void>) | undefined;
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await drop?.();
  });

  test(`appends held open ${HOLD_SECONDS} s inside their transaction: writers wait; projections, relay and notification dispatcher skip nothing`, async () => {
    const schema = await createTestSchema('slow');
    drop = schema.drop;
    const topics = uniqueTopics('slow');
    await createTopics([topics.events, topics.promotions]);
    const approvals = { APPROVERS_FILE: approversFile(), APPROVAL_REQUESTS_AUTO: 'false', NOTIFY_OUTBOX: 'true' };
    a = await startTestApp('postgres', { ...topics.env, ...approvals }, { databaseUrl: schema.url });
    b = await startTestApp('postgres', { RELAY_ENABLED: 'false', ...approvals }, { databaseUrl: schema.url, keys: a.keys });
    const admin = new pg.Client({ connectionString: schema.url });
    await admin.connect();
    await admin.query(`
      CREATE FUNCTION slow_append() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.stream LIKE 'model-slow%' THEN PERFORM pg_sleep(${HOLD_SECONDS}); END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER slow_append BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION slow_append();`);
    await admin.end();

    const history = new History('slow-transaction');
    const token = await a.token('writer', ['registry:read', 'registry:write']);
    await createModels(history, b.url, token, Array.from({ length: 8 }, (_, w) => `st-w${w}`));
    // Writers on replica B, slow appends on both replicas in the middle.
    const load = startWriters({ history, url: () => b!.url, token, writers: 8, tag: 'st' });
    await sleep(1000);
    const json = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
    const started = Date.now();
    // Approval requests (notified by the dispatcher) issued while the slow appends hold the lock.
    const lead = await a.token('lead', ['registry:read', 'approvals:write']);
    const firstVersions = history.ops.filter((o) => o.kind === 'register' && o.outcome === 'ok' && o.marker.endsWith('-1')).map((o) => o.model);
    const [slow, requests] = await Promise.all([
      Promise.all(
        [a, b].map((app, i) =>
          attempt(history, { writer: 100 + i, kind: 'create', model: `slow${i}`, marker: `create:slow${i}` }, `${app!.url}/v1/models`, { method: 'POST', headers: json, body: JSON.stringify({ name: `slow${i}` }) }, 60_000),
        ),
      ),
      (async () => {
        await sleep(300);
        return Promise.all(firstVersions.map((model) => b!.call('POST', `/v1/models/${model}/versions/1.1.0/approval-links`, { token: lead, body: { approvers: ['bob'] } })));
      })(),
    ]);
    const slowMs = Date.now() - started;
    expect(firstVersions.length).toBeGreaterThan(0);
    expect(requests.map((r) => r.status)).toEqual(firstVersions.map(() => 201));
    await sleep(1000);
    await load.stop();
    expect(slow.map((s) => s.status)).toEqual([201, 201]);
    expect(slowMs).toBeGreaterThanOrEqual(HOLD_SECONDS * 1000);
    const summary = history.summary();
    expect(summary).toMatchObject({ fail: 0, unknown: 0, pending: 0 });

    await waitForRelay(a.url);
    await a.app.get(Projector).catchUp();
    await b.app.get(Projector).catchUp();
    const report = await checkLedger(a.store, a.app.get<SqlDb>(SQL_DB), history, loadMarker);
    const events = await readEverything(a.store);
    const relay = await awaitRelayDelivery(events, topics.events);
    // Each replica's projection reached the head and holds every model, the slow ones included.
    const reader = await a.token('reader', ['registry:read']);
    for (const app of [a, b]) {
      const names = new Set<string>();
      for (let cursor: string | undefined; ; ) {
        const page = await app.call('GET', `/v1/models?limit=100${cursor ? `&cursor=${cursor}` : ''}`, { token: reader });
        for (const m of page.body.items) names.add(m.name);
        cursor = page.body.nextCursor;
        if (!cursor) break;
      }
      expect(names).toEqual(new Set([...Array.from({ length: 8 }, (_, w) => `st-w${w}`), 'slow0', 'slow1']));
    }
    // The dispatcher sent a notification for every link issued, none skipped.
    const issued = events.filter((e) => e.type === 'ApprovalLinkIssued').map((e) => e.id);
    const sent = await waitFor('a notification for every issued link', async () => {
      const notified = new Set((await readEverything(a!.store)).filter((e) => e.type === 'NotificationSent').map((e) => (e.data as { trigger: string }).trigger));
      return issued.every((id) => notified.has(id)) ? notified : undefined;
    }, 60_000);
    expect(issued.length).toBe(firstVersions.length);
    console.log(`[reliability] slow transaction: ${JSON.stringify({ ...summary, slowMs, events: report.events, lost: report.lost.length, relay, linksIssued: issued.length, notified: issued.filter((id) => sent.has(id)).length })}`);
    expect(report.lost).toEqual([]);
    expect(report.duplicated).toEqual([]);
    expect(report.gaps).toEqual([]);
    expect(report.readModelsIdentical).toBe(true);
    expect(relay).toMatchObject({ missing: 0, outOfOrder: [] });
  });
});
