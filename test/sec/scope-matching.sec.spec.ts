import { startTestApp, type TestApp } from '../support/app.js';
import { expectNothingWritten, SEC_ENV } from '../support/sec.js';

// Issue 8 row #10: a qualified scope with many stars against a long `:name` blocked the event
// loop (regex backtracking). Names are validated before any match; matching is linear.
describe('scope patterns against hostile names', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('sqlite', SEC_ENV);
  });
  afterAll(async () => {
    await t.close();
  });

  const hostile = '-'.repeat(1600);

  test('registry:read:*-*-*-x against a name of 1,600 "-" is refused', async () => {
    const token = await t.token('mallory', ['registry:read:*-*-*-x']);
    const r = await t.call('GET', `/v1/models/${hostile}`, { token });
    expect(r.status).toBe(403);
    expect(r.body.code).toBe('MISSING_SCOPE');
    // The same on a write route, which also writes nothing.
    const w = await t.token('mallory', ['registry:write:*-*-*-x', 'registry:promote:*-*-*-x']);
    const put = await expectNothingWritten(t, () => t.call('PUT', `/v1/models/${hostile}/aliases/canary`, { token: w, body: { version: '1.0.0' } }));
    expect(put.status).toBe(403);
  });

  test('with an unqualified scope the name itself is refused as 400 naming the field', async () => {
    const token = await t.token('reader', ['registry:read']);
    const r = await t.call('GET', `/v1/models/${hostile}`, { token });
    expect(r.status).toBe(400);
    expect(r.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'name' })]));
  });

  test('a name over 128 characters is not covered by a qualified scope, even by "*"', async () => {
    const token = await t.token('mallory', ['registry:read:*']);
    expect((await t.call('GET', `/v1/models/${'a'.repeat(129)}`, { token })).status).toBe(403);
  });

  test('the same pattern still covers the valid names it matches', async () => {
    const token = await t.token('reader', ['registry:read:*-*-*-x']);
    const r = await t.call('GET', '/v1/models/a-b-c-x', { token });
    expect(r.status).toBe(404);
    expect(r.body.code).toBe('MODEL_NOT_FOUND');
    expect((await t.call('GET', '/v1/models/a-b-c-y', { token })).status).toBe(403);
  });
});
