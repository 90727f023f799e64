import { ResolveCache } from '../../apps/registry-api/src/use-cases/resolve/resolve-cache.js';
import { startTestApp, versionBody, type TestApp } from '../support/app.js';

/** The resolve index and its ETags (edge answers: resolve-edge.e2e.spec.ts). */
describe('resolve: ETag, 304 and the resolve index (embedded SQLite)', () => {
  let t: TestApp;
  let alice: string;
  let reader: string;
  const prod = `/v1/resolve?uri=${encodeURIComponent('models:/churn@prod')}`;
  const byVersion = `/v1/resolve?uri=${encodeURIComponent('models:/churn/1.0.0')}`;

  beforeEach(async () => {
    t = await startTestApp('sqlite');
    alice = await t.token('alice', ['registry:read', 'registry:write', 'gates:write', 'approvals:write', 'registry:promote']);
    reader = await t.token('reader', ['registry:read']);
    expect((await t.call('POST', '/v1/models', { token: alice, body: { name: 'churn' } })).status).toBe(201);
    expect((await t.call('POST', '/v1/models/churn/versions', { token: alice, body: versionBody('1.0.0', 1) })).status).toBe(201);
    const bob = await t.token('bob', ['registry:read', 'approvals:write']);
    expect((await t.call('POST', '/v1/models/churn/versions/1.0.0/approvals', { token: bob, body: { decision: 'approve' } })).status).toBe(201);
    expect((await t.call('POST', '/v1/models/churn/versions/1.0.0/transitions', { token: alice, body: { stage: 'Production' } })).status).toBe(200);
  });
  afterEach(async () => {
    await t.close();
  });

  test('an unchanged If-None-Match is answered 304 with the same ETag and no body, from the index', async () => {
    const first = await t.call('GET', prod, { token: reader });
    expect(first.status).toBe(200);
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    expect(first.headers.get('cache-control')).toBe('private, no-cache');
    expect(t.app.get(ResolveCache).size).toBe(1);

    const again = await t.call('GET', prod, { token: reader, headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(again.headers.get('etag')).toBe(etag);
    expect(again.body).toBeUndefined();
    // Weak comparison and lists, as RFC 9110 says for If-None-Match.
    expect((await t.call('GET', prod, { token: reader, headers: { 'if-none-match': `"other", W/${etag}` } })).status).toBe(304);
    const stale = await t.call('GET', prod, { token: reader, headers: { 'if-none-match': '"other"' } });
    expect(stale.status).toBe(200);
    expect(stale.body).toEqual(first.body);
    expect(stale.headers.get('etag')).toBe(etag);
  });

  test('an archive gives a new ETag and body although no alias moved; a gate result changes @prod the same way', async () => {
    const before = await t.call('GET', byVersion, { token: reader });
    const etag = before.headers.get('etag')!;
    expect((await t.call('GET', byVersion, { token: reader, headers: { 'if-none-match': etag } })).status).toBe(304);
    const prodBefore = await t.call('GET', prod, { token: reader });

    const gate = await t.call('POST', '/v1/models/churn/versions/1.0.0/gates', { token: alice, body: { gate: 'bias-check', status: 'passed' } });
    expect(gate.status).toBe(201);
    const prodAfter = await t.call('GET', prod, { token: reader, headers: { 'if-none-match': prodBefore.headers.get('etag')! } });
    expect(prodAfter.status).toBe(200);
    expect(prodAfter.headers.get('etag')).not.toBe(prodBefore.headers.get('etag'));
    expect(prodAfter.body.gates).not.toEqual(prodBefore.body.gates);

    const archived = await t.call('POST', '/v1/models/churn/versions/1.0.0/transitions', { token: alice, body: { stage: 'Archived', reason: 'retired' } });
    expect(archived.status).toBe(200);
    const after = await t.call('GET', byVersion, { token: reader, headers: { 'if-none-match': etag } });
    expect(after.status).toBe(200);
    expect(after.body.stage).toBe('Archived');
    const newTag = after.headers.get('etag')!;
    expect(newTag).not.toBe(etag);
    expect((await t.call('GET', byVersion, { token: reader, headers: { 'if-none-match': newTag } })).status).toBe(304);
    // The alias went with the archive: the cached @prod answer is gone, not served stale.
    expect((await t.call('GET', prod, { token: reader })).body.code).toBe('MODEL_URI_NOT_FOUND');
  });

  test('a cached answer is still refused to a missing, expired or unscoped token, and X-Min-Position still waits', async () => {
    expect((await t.call('GET', prod, { token: reader })).status).toBe(200);
    expect(t.app.get(ResolveCache).size).toBe(1);
    const none = await t.call('GET', prod);
    expect([none.status, none.body.code]).toEqual([401, 'TOKEN_MISSING']);
    const expired = await t.token('reader', ['registry:read'], { expiresIn: '-5m' });
    expect((await t.call('GET', prod, { token: expired })).body.code).toBe('TOKEN_EXPIRED');
    const writerOnly = await t.token('ci', ['gates:write']);
    const forbidden = await t.call('GET', prod, { token: writerOnly });
    expect([forbidden.status, forbidden.body.code]).toEqual([403, 'MISSING_SCOPE']);
    const qualified = await t.token('scoped', ['registry:read:churn']);
    const viaFast = await t.call('GET', prod, { token: qualified });
    const viaNest = await t.call('GET', prod, { token: qualified, headers: { 'x-min-position': '0' } });
    expect(viaFast.status).toBe(viaNest.status);
    const head = await t.store.headPosition();
    const ahead = await t.call('GET', prod, { token: reader, headers: { 'x-min-position': String(head + 1000) } });
    expect([ahead.status, ahead.body.code]).toEqual([503, 'READ_MODEL_BEHIND']);
    // The edge answers only what the route's request guards would let through.
    const unknown = await t.call('GET', `${prod}&extra=1`, { token: reader });
    expect([unknown.status, unknown.body.errors?.[0]?.rule]).toEqual([400, 'unknownField']);
    const twice = await t.call('GET', `${prod}&uri=${encodeURIComponent('models:/churn@prod')}`, { token: reader });
    expect(twice.status).toBe(422);
    const control = await t.call('GET', `${prod}%00`, { token: reader });
    expect(control.status).toBe(400);
    const badStage = await t.call('GET', `${prod}&stage=Staging`, { token: reader });
    expect([badStage.status, badStage.body.code]).toEqual([422, 'INVALID_STAGE']);
  });
});
