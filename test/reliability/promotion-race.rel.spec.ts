import { jest } from '@jest/globals';
import type { RecordedEvent } from '#event-store';
import { startTestApp, versionBody, type TestApp } from '../support/app.js';
import { DATABASE_URL } from '../support/pg.js';
import { History, attempt, size } from './support/history.js';

jest.setTimeout(900_000);

const ROUNDS = size(3, 20);
const RACERS = 50;

/**
 * Per round, 50 versions of one model race to Production through two replicas on one PostgreSQL
 * database (their in-process locks do not see each other, so the append's expectedRevision is
 * the only guard). Each round: every response 200 or 409 CONCURRENCY_CONFLICT, exactly one
 * version in Production afterwards, and each successful promotion archived the version that
 * was in Production just before it, in the same append.
 */
(DATABASE_URL ? describe : describe.skip)('promotion race across two replicas (PostgreSQL)', () => {
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    a = await startTestApp('postgres');
    b = await startTestApp('postgres', {}, { databaseUrl: a.databaseUrl, keys: a.keys });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  test(`${ROUNDS} rounds of ${RACERS} concurrent promotions: one Production each time, 200 or 409 only, each success archives its predecessor in the same append`, async () => {
    const history = new History('promotion-race');
    const writer = await a.token('alice', ['registry:read', 'registry:write']);
    const approver = await a.token('bob', ['registry:read', 'approvals:write']);
    const rm = await a.token('rm', ['registry:read', 'registry:promote']);
    const reader = await a.token('reader', ['registry:read']);
    expect((await a.call('POST', '/v1/models', { token: writer, body: { name: 'race' } })).status).toBe(201);
    const statuses: number[] = [];
    let successes = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const versions = Array.from({ length: RACERS }, (_, i) => `${round + 1}.${i}.0`);
      for (const [i, v] of versions.entries()) {
        const app = i % 2 ? b : a;
        expect((await app.call('POST', '/v1/models/race/versions', { token: writer, body: versionBody(v, round * 1000 + i + 1) })).status).toBe(201);
        expect((await app.call('POST', `/v1/models/race/versions/${v}/approvals`, { token: approver, body: { decision: 'approve' } })).status).toBe(201);
      }
      const results = await Promise.all(
        versions.map((v, i) =>
          attempt(history, { writer: i, kind: 'promote', model: 'race', marker: `${round}:${v}` }, `${(i % 2 ? b : a).url}/v1/models/race/versions/${v}/transitions`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${rm}` },
            body: JSON.stringify({ stage: 'Production', reason: `race ${round}` }),
          }),
        ),
      );
      for (const r of results) {
        statuses.push(r.status ?? 0);
        expect([200, 409]).toContain(r.status);
        if (r.status === 409) expect(r.body.code).toBe('CONCURRENCY_CONFLICT');
      }
      successes += results.filter((r) => r.status === 200).length;
      const prodA = await a.call('GET', '/v1/models/race/versions?stage=Production', { token: reader });
      expect(prodA.body.items).toHaveLength(1);
    }

    // The history, append by append (one append = consecutive events with one correlation id).
    const events = await a.store.readStream('model-race');
    const appends: RecordedEvent[][] = [];
    for (const e of events) {
      const last = appends[appends.length - 1];
      if (last && last[0].metadata.correlationId === e.metadata.correlationId && last[last.length - 1].revision === e.revision - 1) last.push(e);
      else appends.push([e]);
    }
    let production: string | undefined;
    let promotions = 0;
    for (const batch of appends) {
      const promoted = batch.find((e) => e.type === 'VersionPromoted');
      if (!promoted) continue;
      promotions++;
      const version = (promoted.data as { version: string }).version;
      const archived = batch.filter((e) => e.type === 'VersionArchived').map((e) => e.data as { version: string; supersededBy?: string });
      if (production) expect(archived).toEqual([expect.objectContaining({ version: production, supersededBy: version })]);
      else expect(archived).toEqual([]);
      production = version;
    }
    const tally = { rounds: ROUNDS, racers: RACERS, ok: statuses.filter((s) => s === 200).length, conflicts: statuses.filter((s) => s === 409).length, other: statuses.filter((s) => s !== 200 && s !== 409).length };
    console.log(`[reliability] promotion race: ${JSON.stringify(tally)}`);
    expect(promotions).toBe(successes);
    const prod = await a.call('GET', '/v1/models/race/versions?stage=Production', { token: reader });
    expect(prod.body.items.map((v: { version: string }) => v.version)).toEqual([production]);
  });
});
