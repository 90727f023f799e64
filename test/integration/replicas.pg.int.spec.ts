import { ResolveCache } from '../../apps/registry-api/src/use-cases/resolve/resolve-cache.js';
import { describePg } from '../support/pg.js';
import { startTestApp, versionBody, type TestApp } from '../support/app.js';

/**
 * Two API replicas on one PostgreSQL database: their in-process locks do not see each other, so
 * the stream revision check and the retry-on-conflict path are what keep the model consistent.
 */
describePg('two replicas on one PostgreSQL database', () => {
  let a: TestApp;
  let b: TestApp;
  beforeEach(async () => {
    a = await startTestApp('postgres');
    b = await startTestApp('postgres', {}, { databaseUrl: a.databaseUrl, keys: a.keys });
  });
  afterEach(async () => {
    await b.close();
    await a.close();
  });

  test('a read on the other replica with X-Min-Position sees the write at once', async () => {
    const writer = await a.token('alice', ['registry:read', 'registry:write']);
    const created = await a.call('POST', '/v1/models', { token: writer, body: { name: 'fresh' } });
    const position = created.headers.get('x-ledger-position')!;
    expect(Number(position)).toBeGreaterThan(0);
    const seen = await b.call('GET', '/v1/models/fresh', { token: writer, headers: { 'x-min-position': position } });
    expect(seen.status).toBe(200);
    expect(seen.body.name).toBe('fresh');
    const future = await b.call('GET', '/v1/models/fresh', { token: writer, headers: { 'x-min-position': String(Number(position) + 1000) } });
    expect(future.status).toBe(503);
    expect(future.body.code).toBe('READ_MODEL_BEHIND');
    expect(future.headers.get('retry-after')).toBe('1');
    const bad = await b.call('GET', '/v1/models/fresh', { token: writer, headers: { 'x-min-position': 'soon' } });
    expect(bad.status).toBe(400);
  });

  test("a resolve cached on one replica is forgotten when the other replica changes the model (NOTIFY, no X-Min-Position)", async () => {
    const admin = await a.token('admin', ['registry:read', 'registry:write', 'gates:write', 'approvals:write', 'registry:promote']);
    const bob = await a.token('bob', ['registry:read', 'approvals:write']);
    const reader = await a.token('reader', ['registry:read']);
    expect((await a.call('POST', '/v1/models', { token: admin, body: { name: 'churn' } })).status).toBe(201);
    expect((await a.call('POST', '/v1/models/churn/versions', { token: admin, body: versionBody('1.0.0', 1) })).status).toBe(201);
    expect((await a.call('POST', '/v1/models/churn/versions/1.0.0/approvals', { token: bob, body: { decision: 'approve' } })).status).toBe(201);
    const promoted = await a.call('POST', '/v1/models/churn/versions/1.0.0/transitions', { token: admin, body: { stage: 'Production' } });
    const uri = `/v1/resolve?uri=${encodeURIComponent('models:/churn@prod')}`;
    const warm = await b.call('GET', uri, { token: reader, headers: { 'x-min-position': promoted.headers.get('x-ledger-position')! } });
    expect(warm.status).toBe(200);
    const etag = warm.headers.get('etag')!;
    expect((await b.call('GET', uri, { token: reader, headers: { 'if-none-match': etag } })).status).toBe(304);
    expect(b.app.get(ResolveCache).size).toBeGreaterThan(0);

    // The write lands on A; B hears of it through PostgreSQL NOTIFY (its poll is the fallback).
    const gate = await a.call('POST', '/v1/models/churn/versions/1.0.0/gates', { token: admin, body: { gate: 'bias-check', status: 'passed' } });
    expect(gate.status).toBe(201);
    let seen: { status: number; headers: Headers; body: any } | undefined;
    for (let i = 0; i < 100; i++) {
      seen = await b.call('GET', uri, { token: reader, headers: { 'if-none-match': etag } });
      if (seen.status === 200) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(seen!.status).toBe(200);
    expect(seen!.headers.get('etag')).not.toBe(etag);
    expect(seen!.body.gates).toHaveProperty('bias-check');
  });

  test('50 concurrent promotions split across replicas leave exactly one Production version, no 500s, a consistent history', async () => {
    const writer = await a.token('alice', ['registry:read', 'registry:write']);
    const approver = await a.token('bob', ['registry:read', 'approvals:write']);
    const rm = await a.token('rm', ['registry:read', 'registry:promote']);
    expect((await a.call('POST', '/v1/models', { token: writer, body: { name: 'churn' } })).status).toBe(201);
    const versions = Array.from({ length: 50 }, (_, i) => `2.${i}.0`);
    for (const [i, v] of versions.entries()) {
      const app = i % 2 ? b : a; // writes land on both replicas, so each one's cached state goes stale
      expect((await app.call('POST', '/v1/models/churn/versions', { token: writer, body: versionBody(v, i + 1) })).status).toBe(201);
      expect((await app.call('POST', `/v1/models/churn/versions/${v}/approvals`, { token: approver, body: { decision: 'approve' } })).status).toBe(201);
    }
    const results = await Promise.all(
      versions.map((v, i) => (i % 2 ? b : a).call('POST', `/v1/models/churn/versions/${v}/transitions`, { token: rm, body: { stage: 'Production' } })),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    expect(statuses.every((s) => s === 200 || s === 409)).toBe(true);
    for (const r of results.filter((x) => x.status === 409)) expect(r.body.code).toBe('CONCURRENCY_CONFLICT');

    const events = await a.store.readStream('model-churn');
    const inProd = new Set<string>();
    let promotions = 0;
    for (const e of events) {
      const version = (e.data as { version: string }).version;
      if (e.type === 'VersionPromoted') {
        if (promotions > 0) {
          expect(events.some((x) => x.type === 'VersionArchived' && x.metadata.correlationId === e.metadata.correlationId)).toBe(true);
        }
        promotions++;
        inProd.add(version);
      }
      if (e.type === 'VersionArchived') inProd.delete(version);
      expect(inProd.size).toBeLessThanOrEqual(1);
    }
    expect(promotions).toBe(statuses.filter((s) => s === 200).length);
    // Both replicas' read models converge on the same single Production version.
    const reader = await a.token('reader', ['registry:read']);
    const viaA = await a.call('GET', '/v1/models/churn/versions?stage=Production', { token: reader });
    await b.app.get((await import('#read-models')).Projector).catchUp();
    const viaB = await b.call('GET', '/v1/models/churn/versions?stage=Production', { token: reader });
    expect(viaA.body.items.map((v: { version: string }) => v.version)).toEqual([...inProd]);
    expect(viaB.body.items.map((v: { version: string }) => v.version)).toEqual([...inProd]);
  });
});
