import { startTestApp, type TestApp } from '../support/app.js';

/**
 * Attacks on the MLflow-compatible routes, each a regression test: refused in MLflow's error form
 * (never problem+json, never a 5xx the client would retry), and nothing written.
 */
const D = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;
const api = (path: string) => `/api/2.0/mlflow/${path}`;

describe('MLflow routes under attack', () => {
  let t: TestApp;
  let writer: string;
  let reader: string;
  let promoter: string;
  let approver: string;
  const streamLength = async (model: string) => (await t.store.readStream(`model-${model}`)).length;

  beforeAll(async () => {
    t = await startTestApp('sqlite');
    writer = await t.token('writer', ['registry:read', 'registry:write']);
    reader = await t.token('reader', ['registry:read']);
    promoter = await t.token('promoter', ['registry:read', 'registry:write', 'registry:promote']);
    approver = await t.token('approver', ['approvals:write']);
    await t.call('POST', api('registered-models/create'), { token: writer, body: { name: 'churn' } });
    await t.call('POST', api('model-versions/create'), { token: writer, body: { name: 'churn', source: 's3://b/1', tags: [{ key: 'model_ledger.artifact_digest', value: D(1) }] } });
    await t.call('POST', api('model-versions/create'), { token: writer, body: { name: 'churn', source: 's3://b/2' } });
  });
  afterAll(() => t.close());

  test.each(['api', 'ajax-api'])('no token or a forged token: 401 UNAUTHENTICATED in MLflow form (/%s)', async (prefix) => {
    const forged = await t.token('mallory', ['registry:promote'], { issuer: 'https://evil.test' });
    for (const token of [undefined, forged, 'not-a-jwt']) {
      const res = await t.call('GET', `/${prefix}/2.0/mlflow/registered-models/get?name=churn`, token ? { token } : {});
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.body.error_code).toBe('UNAUTHENTICATED');
      expect(typeof res.body.message).toBe('string');
    }
  });

  test('a registry:read token cannot set, move or delete aliases, nor write anything', async () => {
    const before = await streamLength('churn');
    for (const [method, path, body] of [
      ['POST', 'registered-models/alias', { name: 'churn', alias: 'shadow', version: '1' }],
      ['POST', 'registered-models/alias', { name: 'churn', alias: 'prod', version: '1' }],
      ['DELETE', 'registered-models/alias', { name: 'churn', alias: 'shadow' }],
      ['POST', 'model-versions/create', { name: 'churn', source: 's3://b/x' }],
      ['POST', 'model-versions/set-tag', { name: 'churn', version: '1', key: 'k', value: 'v' }],
      ['POST', 'model-versions/transition-stage', { name: 'churn', version: '1', stage: 'Production' }],
      ['DELETE', 'model-versions/delete', { name: 'churn', version: '2' }],
    ] as const) {
      const res = await t.call(method, api(path), { token: reader, body });
      expect([path, res.status, res.body.error_code]).toEqual([path, 403, 'PERMISSION_DENIED']);
    }
    expect(await streamLength('churn')).toBe(before);
  });

  test('a qualified scope covers only its models, and the model is taken from where the handler reads it', async () => {
    const fraudWriter = await t.token('fw', ['registry:read', 'registry:write:fraud-*']);
    expect((await t.call('POST', api('registered-models/create'), { token: fraudWriter, body: { name: 'fraud-eu' } })).status).toBe(200);
    const other = await t.call('POST', api('registered-models/create'), { token: fraudWriter, body: { name: 'churn-2' } });
    expect([other.status, other.body.error_code]).toEqual([403, 'PERMISSION_DENIED']);
    // A matching name in the query string does not lend the scope to the model named in the body.
    const smuggled = await t.call('POST', `${api('model-versions/create')}?name=fraud-eu`, { token: fraudWriter, body: { name: 'churn', source: 's3://b/9' } });
    expect([smuggled.status, smuggled.body.error_code]).toEqual([403, 'PERMISSION_DENIED']);
  });

  test('forged fields are ignored or refused: stage, status, user and run_link cannot be set at creation', async () => {
    const res = await t.call('POST', api('model-versions/create'), {
      token: writer,
      body: { name: 'churn', source: 's3://b/3', current_stage: 'Production', status: 'READY', user_id: 'ceo', aliases: ['prod'], version: '99' },
    });
    expect(res.status).toBe(200);
    expect(res.body.model_version).toMatchObject({ version: '3', current_stage: 'None', user_id: 'writer' });
    expect(res.body.model_version.aliases).toBeUndefined();
    const reserved = await t.call('POST', api('model-versions/create'), {
      token: writer,
      body: { name: 'churn', source: 's3://b/4', tags: [{ key: 'model_ledger.run_link', value: 'http://evil' }] },
    });
    expect([reserved.status, reserved.body.error_code]).toEqual([400, 'INVALID_PARAMETER_VALUE']);
    const badDigest = await t.call('POST', api('model-versions/create'), {
      token: writer,
      body: { name: 'churn', source: 's3://b/4', tags: [{ key: 'model_ledger.artifact_digest', value: 'md5:123' }] },
    });
    expect([badDigest.status, badDigest.body.error_code]).toEqual([400, 'INVALID_PARAMETER_VALUE']);
    expect(badDigest.body.message).toContain('model_ledger.artifact_digest');
  });

  test('rename is refused: names are permanent', async () => {
    const res = await t.call('POST', api('registered-models/rename'), { token: promoter, body: { name: 'churn', new_name: 'churn-x' } });
    expect([res.status, res.body.error_code]).toEqual([400, 'INVALID_PARAMETER_VALUE']);
    expect(res.body.message).toContain('permanent');
    expect((await t.call('GET', `${api('registered-models/get')}?name=churn`, { token: reader })).status).toBe(200);
    expect((await t.call('GET', `${api('registered-models/get')}?name=churn-x`, { token: reader })).status).toBe(404);
  });

  test('a refused promotion is 400 INVALID_STATE naming every unmet requirement, and writes nothing', async () => {
    const before = await streamLength('churn');
    const res = await t.call('POST', api('registered-models/alias'), { token: promoter, body: { name: 'churn', alias: 'prod', version: '2' } });
    expect([res.status, res.body.error_code]).toEqual([400, 'INVALID_STATE']);
    expect(res.body.message).toContain('no artifact digest');
    expect(res.body.message).toContain('approvals');
    expect(await streamLength('churn')).toBe(before);
  });

  test('deletes of protected things are refused; model delete needs registry:promote', async () => {
    await t.call('POST', '/v1/models/churn/versions/1.0.0/approvals', { token: approver, body: { decision: 'approve' } });
    const promoted = await t.call('POST', api('model-versions/transition-stage'), { token: promoter, body: { name: 'churn', version: '1', stage: 'production', archive_existing_versions: false } });
    expect(promoted.body.model_version.current_stage).toBe('Production');
    const before = await streamLength('churn');
    const v = await t.call('DELETE', api('model-versions/delete'), { token: promoter, body: { name: 'churn', version: '1' } });
    expect([v.status, v.body.error_code]).toEqual([400, 'INVALID_STATE']);
    expect(v.body.message).toContain('Production');
    const m = await t.call('DELETE', api('registered-models/delete'), { token: writer, body: { name: 'churn' } });
    expect([m.status, m.body.error_code]).toEqual([403, 'PERMISSION_DENIED']);
    const m2 = await t.call('DELETE', api('registered-models/delete'), { token: promoter, body: { name: 'churn' } });
    expect([m2.status, m2.body.error_code]).toEqual([400, 'INVALID_STATE']);
    const alias = await t.call('DELETE', api('registered-models/alias'), { token: promoter, body: { name: 'churn', alias: 'prod' } });
    expect([alias.status, alias.body.error_code]).toEqual([400, 'INVALID_STATE']);
    expect(await streamLength('churn')).toBe(before);
  });

  test('bad input is a 400 in MLflow form that echoes at most a bounded part of it', async () => {
    const long = 'x'.repeat(10_000);
    for (const [method, path, opts] of [
      ['GET', `${api('model-versions/get')}?name=churn&version=1%20OR%201`, {}],
      ['GET', `${api('registered-models/search')}?max_results=abc`, {}],
      ['GET', `${api('registered-models/search')}?max_results=100000`, {}],
      ['GET', `${api('registered-models/search')}?page_token=%7B%7D`, {}],
      ['GET', `${api('registered-models/search')}?filter=${encodeURIComponent("name = 'a' OR name = 'b'")}`, {}],
      ['GET', `${api('registered-models/search')}?order_by=${encodeURIComponent('drop table')}`, {}],
      ['GET', `${api('registered-models/get')}?name=${long.slice(0, 3000)}`, {}],
      ['GET', `${api('registered-models/get')}?name=a&name=b`, {}],
      ['POST', api('registered-models/create'), { body: { name: 'Bad Name!' } }],
      ['POST', api('registered-models/create'), { body: { name: 'ok-name', tags: 'nope' } }],
      ['POST', api('model-versions/create'), { body: { name: 'churn', source: long } }],
      ['POST', api('model-versions/transition-stage'), { body: { name: 'churn', version: '2', stage: 'None' } }],
      ['POST', api('model-versions/set-tag'), { body: { name: 'churn', version: '1', key: 'k', value: 5 } }],
      ['POST', api('registered-models/set-tag'), { body: { name: 'churn', key: { k: 1 }, value: 'v' } }],
    ] as const) {
      const res = await t.call(method, path, { token: promoter, ...opts });
      expect([path.slice(0, 80), res.status, res.body.error_code]).toEqual([path.slice(0, 80), 400, 'INVALID_PARAMETER_VALUE']);
      expect(res.body.message.length).toBeLessThan(600);
    }
  });

  test('malformed JSON and unknown MLflow routes still answer in MLflow form', async () => {
    const headers = { authorization: `Bearer ${writer}` };
    const bad = await fetch(`${t.url}${api('registered-models/create')}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: '{bad' });
    expect([bad.status, bad.headers.get('content-type'), ((await bad.json()) as { error_code: string }).error_code]).toEqual([400, 'application/json; charset=utf-8', 'INVALID_PARAMETER_VALUE']);
    const missing = await fetch(`${t.url}${api('registered-models/nope')}`, { headers });
    expect([missing.status, ((await missing.json()) as { error_code: string }).error_code]).toEqual([404, 'ENDPOINT_NOT_FOUND']);
    const ajax = await fetch(`${t.url}/ajax-api/2.0/mlflow/experiments/search`, { headers });
    expect([ajax.status, ((await ajax.json()) as { error_code: string }).error_code]).toEqual([404, 'ENDPOINT_NOT_FOUND']);
    // The native API keeps problem+json.
    const native = await fetch(`${t.url}/v1/nope`, { headers });
    expect(native.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  test('a deleted version is resolved by neither API, but the audit trail keeps it', async () => {
    const created = await t.call('POST', api('model-versions/create'), { token: writer, body: { name: 'churn', source: 's3://b/gone' } });
    const semver = created.body.model_version.tags.find((x: { key: string }) => x.key === 'model_ledger.version').value;
    expect((await t.call('DELETE', api('model-versions/delete'), { token: writer, body: { name: 'churn', version: created.body.model_version.version } })).status).toBe(200);
    const native = await t.call('GET', `/v1/resolve?uri=models:/churn/${semver}`, { token: reader });
    expect([native.status, native.body.code]).toEqual([404, 'MODEL_URI_NOT_FOUND']);
    const ranged = await t.call('GET', `/v1/resolve?uri=${encodeURIComponent(`models:/churn@>=${semver}`)}&stage=any`, { token: reader });
    expect(ranged.status).toBe(404);
    const mlflowGet = await t.call('GET', `${api('model-versions/get')}?name=churn&version=${created.body.model_version.version}`, { token: reader });
    expect([mlflowGet.status, mlflowGet.body.error_code]).toEqual([404, 'RESOURCE_DOES_NOT_EXIST']);
    const shown = await t.call('GET', `/v1/models/churn/versions/${semver}`, { token: reader });
    expect(shown.body.deleted).toMatchObject({ by: 'writer' });
  });

  test('a concurrent duplicate create: one wins, the other gets RESOURCE_ALREADY_EXISTS', async () => {
    const [a, b] = await Promise.all([
      t.call('POST', api('registered-models/create'), { token: writer, body: { name: 'race' } }),
      t.call('POST', api('registered-models/create'), { token: writer, body: { name: 'race' } }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 400]);
    expect([a.body.error_code, b.body.error_code]).toContain('RESOURCE_ALREADY_EXISTS');
    expect((await t.store.readStream('model-race')).length).toBe(1);
  });

  test('the MLflow routes have their own OpenAPI document; the native one stays clean', async () => {
    const native = await t.call('GET', '/docs-json');
    const mlflow = await t.call('GET', '/mlflow/docs-json');
    expect(Object.keys(native.body.paths).filter((p) => p.includes('mlflow'))).toEqual([]);
    expect(Object.keys(mlflow.body.paths)).toContain('/api/2.0/mlflow/registered-models/alias');
    expect(Object.keys(mlflow.body.paths)).toContain('/ajax-api/2.0/mlflow/model-versions/create');
    expect(Object.keys(mlflow.body.paths).every((p) => /^\/(api|ajax-api)\/2\.0\/mlflow\//.test(p))).toBe(true);
  });
});
