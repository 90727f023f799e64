import { startTestApp, versionBody, type TestApp } from '../support/app.js';
import { expectNothingWritten, SEC_ENV } from '../support/sec.js';

// Issue 8 rows #2 and #3: registry:write alone must not take a version out of Production, move
// or drop a protected alias, or bring an archived version back.
describe('governance bypasses with registry:write only', () => {
  let t: TestApp;
  let writer: string;
  let reader: string;

  beforeAll(async () => {
    t = await startTestApp('sqlite', SEC_ENV);
    writer = await t.token('mallory', ['registry:read', 'registry:write']);
    reader = await t.token('reader', ['registry:read']);
    const alice = await t.token('alice', ['registry:read', 'registry:write']);
    const bob = await t.token('bob', ['registry:read', 'approvals:write']);
    const rm = await t.token('rm', ['registry:read', 'registry:promote']);
    const ok = async (method: string, path: string, token: string, body?: unknown) => {
      const r = await t.call(method, path, { token, body });
      expect([200, 201]).toContain(r.status);
    };
    await ok('POST', '/v1/models', alice, { name: 'churn' });
    for (const [version, n] of [['1.0.0', 1], ['1.1.0', 2], ['1.2.0', 3]] as const) {
      await ok('POST', '/v1/models/churn/versions', alice, versionBody(version, n));
      await ok('POST', `/v1/models/churn/versions/${version}/approvals`, bob, { decision: 'approve' });
    }
    // 1.0.0 served and was superseded by 1.1.0 (archived); 1.1.0 is in Production; 1.2.0 is @champion.
    await ok('POST', '/v1/models/churn/versions/1.0.0/transitions', rm, { stage: 'Production' });
    await ok('POST', '/v1/models/churn/versions/1.1.0/transitions', rm, { stage: 'Production' });
    await ok('PUT', '/v1/models/churn/aliases/champion', rm, { version: '1.2.0' });
  });
  afterAll(async () => {
    await t.close();
  });

  const refusedForPromote = (r: { status: number; headers: Headers; body: any }) => {
    expect(r.status).toBe(403);
    expect(r.headers.get('content-type')).toContain('application/problem+json');
    expect(r.body).toMatchObject({ code: 'MISSING_SCOPE', requiredScope: 'registry:promote' });
    expect(r.body.detail).toContain("'registry:promote'");
  };

  test('row #2: Production → Staging is 403 and @prod still resolves', async () => {
    const r = await expectNothingWritten(t, () => t.call('POST', '/v1/models/churn/versions/1.1.0/transitions', { token: writer, body: { stage: 'Staging' } }));
    refusedForPromote(r);
    const prod = await t.call('GET', '/v1/resolve?uri=' + encodeURIComponent('models:/churn@prod'), { token: reader });
    expect(prod.status).toBe(200);
    expect(prod.body.version).toBe('1.1.0');
  });

  test('row #2: Production → Archived is 403', async () => {
    refusedForPromote(await expectNothingWritten(t, () => t.call('POST', '/v1/models/churn/versions/1.1.0/transitions', { token: writer, body: { stage: 'Archived' } })));
  });

  test('row #2: setting, moving or deleting a protected alias is 403', async () => {
    refusedForPromote(await expectNothingWritten(t, () => t.call('PUT', '/v1/models/churn/aliases/prod', { token: writer, body: { version: '1.2.0' } })));
    refusedForPromote(await expectNothingWritten(t, () => t.call('PUT', '/v1/models/churn/aliases/champion', { token: writer, body: { version: '1.1.0' } })));
    refusedForPromote(await expectNothingWritten(t, () => t.call('DELETE', '/v1/models/churn/aliases/champion', { token: writer })));
    refusedForPromote(await expectNothingWritten(t, () => t.call('DELETE', '/v1/models/churn/aliases/prod', { token: writer })));
    refusedForPromote(await expectNothingWritten(t, () => t.call('POST', '/v1/models/churn/rollback', { token: writer, body: { toVersion: '1.0.0', reason: 'attack' } })));
    const aliases = (await t.call('GET', '/v1/models/churn', { token: reader })).body.aliases;
    expect(aliases).toMatchObject({ prod: '1.1.0', champion: '1.2.0' });
  });

  test('row #3: Archived → Staging is 403 and the version stays archived', async () => {
    refusedForPromote(await expectNothingWritten(t, () => t.call('POST', '/v1/models/churn/versions/1.0.0/transitions', { token: writer, body: { stage: 'Staging' } })));
    expect((await t.call('GET', '/v1/models/churn/versions/1.0.0', { token: reader })).body.stage).toBe('Archived');
  });

  test('non-protected aliases stay with registry:write', async () => {
    const r = await t.call('PUT', '/v1/models/churn/aliases/canary', { token: writer, body: { version: '1.2.0' } });
    expect(r.status).toBe(200);
    expect((await t.call('DELETE', '/v1/models/churn/aliases/canary', { token: writer })).status).toBe(200);
  });
});
