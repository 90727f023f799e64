import { jest } from '@jest/globals';
import { openLedgerStore } from '#event-store';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfig } from '#config';
import { KAFKA_BROKERS, createTopics, uniqueTopics } from '../support/kafka.js';
import { ApiProcess, TestIdp } from './support/api-process.js';
import { checkLedger, awaitRelayDelivery, readEverything } from './support/checks.js';
import { History, size, sleep } from './support/history.js';
import { createModels, loadMarker, startWriters, verifyChain, waitForRelay } from './support/load.js';
import { OwnPostgres, canRunOwnPostgres } from './support/own-postgres.js';

jest.setTimeout(900_000);

const RESTARTS = size(1, 3);
const WRITERS = 16;

(canRunOwnPostgres() && KAFKA_BROKERS ? describe : describe.skip)('PostgreSQL restarted (immediate) under load', () => {
  let pg: OwnPostgres | undefined;
  let api: ApiProcess | undefined;
  afterAll(async () => {
    await api?.stop();
    await pg?.destroy();
  });

  test(`${RESTARTS} immediate restart(s): the API turns not-ready, recovers by itself, and nothing acknowledged is lost`, async () => {
    pg = await OwnPostgres.create();
    const history = new History('postgres-restart');
    const topics = uniqueTopics('pgrestart');
    await createTopics([topics.events, topics.promotions]);
    const dir = mkdtempSync(join(tmpdir(), 'ml-rel-'));
    const idp = await TestIdp.create(dir);
    api = await ApiProcess.create({ EVENT_STORE: 'postgres', DATABASE_URL: pg.url, ...topics.env, ...idp.env() }, dir);
    await api.start();
    const writer = await idp.token('writer', ['registry:read', 'registry:write']);
    const auditor = await idp.token('auditor', ['audit:read']);
    await createModels(history, api.url, writer, Array.from({ length: WRITERS }, (_, w) => `pr-w${w}`));
    const load = startWriters({ history, url: () => api!.url, token: writer, writers: WRITERS, tag: 'pr' });

    const notReady: number[] = [];
    for (let i = 0; i < RESTARTS; i++) {
      await sleep(1500 + Math.random() * 1500);
      await pg.stopImmediate();
      history.note('postgres stopped (immediate)', { restart: i + 1 });
      // While the database is down the API says so.
      const deadline = Date.now() + 20_000;
      let r = await api.ready();
      while (r.status !== 503 && Date.now() < deadline) {
        await sleep(200);
        r = await api.ready();
      }
      notReady.push(r.status);
      await sleep(1000);
      await pg.start();
      history.note('postgres started', { restart: i + 1 });
    }
    // Recovers by itself: no restart of the API.
    const until = Date.now() + 60_000;
    while ((await api.ready()).status !== 200) {
      if (Date.now() > until) throw new Error(`API not ready again: ${JSON.stringify((await api.ready()).body)}`);
      await sleep(250);
    }
    const okBefore = history.count('ok');
    await sleep(2000);
    await load.stop();
    const summary = history.summary();
    console.log(`[reliability] postgres restart: ${JSON.stringify({ restarts: RESTARTS, notReady, ...summary, acknowledgedAfterRecovery: summary.ok - okBefore })}`);
    expect(notReady).toEqual(Array(RESTARTS).fill(503));
    expect(summary.ok - okBefore).toBeGreaterThan(0);
    expect(summary.pending).toBe(0);
    // No write was answered with a 500 during the outage: 503 problems (or a cut connection) only.
    expect(history.ops.filter((o) => o.status !== undefined && o.status >= 500 && o.status !== 503)).toEqual([]);

    await waitForRelay(api.url);
    const chain = await verifyChain(api.url, auditor);
    await api.stop();
    const { db, store } = await openLedgerStore(validateConfig({ EVENT_STORE: 'postgres', DATABASE_URL: pg.url }), { now: () => new Date() });
    try {
      const report = await checkLedger(store, db, history, loadMarker);
      const events = await readEverything(store);
      const relay = await awaitRelayDelivery(events, topics.events);
      console.log(`[reliability] postgres restart: ${JSON.stringify({ events: report.events, acknowledged: report.acknowledged, lost: report.lost.length, duplicated: report.duplicated.length, unknownStored: report.unknownStored, unknownAbsent: report.unknownAbsent, relay })}`);
      expect(report.lost).toEqual([]);
      expect(report.duplicated).toEqual([]);
      expect(report.failedButStored).toEqual([]);
      expect(report.gaps).toEqual([]);
      expect(report.readModelsIdentical).toBe(true);
      expect(chain.ok).toBe(true);
      expect(relay).toMatchObject({ missing: 0, outOfOrder: [] });
    } finally {
      await store.close();
      await db.close();
    }
  });
});
