import { SQL_DB } from '../../apps/registry-api/src/infrastructure/tokens.js';
import { IdempotencyStore } from '../../apps/registry-api/src/http/idempotency.js';
import type { SqlDb } from '#persistence';
import { startTestApp, versionBody, type TestApp } from '../support/app.js';

/** Issue 8 row #4: Idempotency-Key on unauthenticated calls, replays that must answer, retention. */
describe('Idempotency-Key attacks', () => {
  let t: TestApp;
  let db: SqlDb;
  const rows = async () => (await db.query<{ key_hash: string; state: string }>('SELECT key_hash, state FROM idempotency_keys'));

  beforeAll(async () => {
    t = await startTestApp('sqlite');
    db = t.app.get<SqlDb>(SQL_DB);
  });
  afterAll(() => t.close());
  beforeEach(() => db.run('DELETE FROM idempotency_keys'));

  /** fetch that fails the test instead of hanging when no response comes. */
  const post = (path: string, headers: Record<string, string>, body = 'decision=approve') =>
    fetch(`${t.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body,
      signal: AbortSignal.timeout(10_000),
    });

  test('POST /approve/not-a-token with Idempotency-Key, twice: both answer, and no idempotency state is written', async () => {
    const first = await post('/approve/not-a-token', { 'idempotency-key': 'K' });
    await first.text();
    const second = await post('/approve/not-a-token', { 'idempotency-key': 'K' });
    await second.text();
    expect(first.status).toBeGreaterThanOrEqual(400);
    expect(first.status).toBeLessThan(500);
    expect(second.status).toBe(first.status);
    expect(second.headers.get('idempotent-replayed')).toBeNull();
    expect(await rows()).toEqual([]);
  });

  test('a protected route called without a token (or with a forged one) and a key writes no state', async () => {
    for (const auth of [undefined, 'Bearer not.a.jwt']) {
      const res = await fetch(`${t.url}/v1/models`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': 'K2', ...(auth ? { authorization: auth } : {}) },
        body: JSON.stringify({ name: 'churn' }),
        signal: AbortSignal.timeout(10_000),
      });
      expect(res.status).toBe(401);
    }
    expect(await rows()).toEqual([]);
    expect(await t.store.readStream('model-churn')).toHaveLength(0);
  });

  test('keys are kept for the retention period, then purged; a purge never removes a claim whose lease is held', async () => {
    const token = await t.token('alice', ['registry:read', 'registry:write']);
    const created = await t.call('POST', '/v1/models', { token, body: { name: 'kept' }, headers: { 'idempotency-key': 'R1' } });
    expect(created.status).toBe(201);
    expect(await rows()).toEqual([expect.objectContaining({ state: 'done' })]);
    const keys = t.app.get(IdempotencyStore);
    const live = await keys.claim('live-claim', 'h', new Date());
    expect(live.claimed).toBe(true);

    // Just inside retention: nothing goes.
    const retention = keys.options.retentionMs;
    expect(await keys.purgeExpired(new Date(Date.now() + retention - 60_000), true)).toBe(0);
    // Past retention: the finished key goes; the running claim stays while its lease is renewed.
    await db.run(`UPDATE idempotency_keys SET lease_until = ? WHERE key_hash = 'live-claim'`, [new Date(Date.now() + 2 * retention).toISOString()]);
    expect(await keys.purgeExpired(new Date(Date.now() + retention + 60_000), true)).toBe(1);
    expect((await rows()).map((r) => r.key_hash)).toEqual(['live-claim']);
    await keys.release('live-claim');
    expect(await rows()).toEqual([]);

    // After the purge the row is gone, but the key also travels in the events: the same request
    // gets its write back instead of a second write.
    const again = await t.call('POST', '/v1/models', { token, body: { name: 'kept' }, headers: { 'idempotency-key': 'R1' } });
    expect(again.status).toBe(201);
    expect(again.body.position).toBe(created.body.position);
    expect(await t.store.readStream('model-kept')).toHaveLength(1);
    // ...and once purged again, the same key with another body is a new request, not a replay of the old one.
    expect(await keys.purgeExpired(new Date(Date.now() + retention + 60_000), true)).toBe(1);
    const other = await t.call('POST', '/v1/models', { token, body: { name: 'kept2' }, headers: { 'idempotency-key': 'R1' } });
    expect(other.status).toBe(201);
    expect(await t.store.readStream('model-kept2')).toHaveLength(1);
  });
  test('a replay does not lend a scope the token no longer has: same subject, fewer scopes, same key → decided again and refused', async () => {
    const alice = await t.token('alice', ['registry:read', 'registry:write']);
    const bob = await t.token('bob', ['registry:read', 'approvals:write']);
    const released = await t.token('rel', ['registry:read', 'registry:write', 'registry:promote']);
    const downgraded = await t.token('rel', ['registry:read', 'registry:write']);
    expect((await t.call('POST', '/v1/models', { token: alice, body: { name: 'guarded' } })).status).toBe(201);
    expect((await t.call('POST', '/v1/models/guarded/versions', { token: alice, body: versionBody('1.0.0', 7) })).status).toBe(201);
    expect((await t.call('POST', '/v1/models/guarded/versions/1.0.0/approvals', { token: bob, body: { decision: 'approve' } })).status).toBe(201);

    const promote = (token: string) =>
      t.call('POST', '/v1/models/guarded/versions/1.0.0/transitions', { token, body: { stage: 'Production' }, headers: { 'idempotency-key': 'P1' } });
    const first = await promote(released);
    expect(first.status).toBe(200);
    const events = (await t.store.readStream('model-guarded')).length;

    const replayWithFewerScopes = await promote(downgraded);
    expect(replayWithFewerScopes.status).toBe(403);
    expect(replayWithFewerScopes.body).toMatchObject({ code: 'MISSING_SCOPE', requiredScope: 'registry:promote' });
    expect(replayWithFewerScopes.headers.get('idempotent-replayed')).toBeNull();
    expect(await t.store.readStream('model-guarded')).toHaveLength(events);

    // The token that made the request still gets its answer back.
    const replay = await promote(released);
    expect(replay.status).toBe(200);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toEqual(first.body);
  });
});
