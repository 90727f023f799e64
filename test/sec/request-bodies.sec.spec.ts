import { canonicalize, CanonicalizationError } from '../../libs/event-store/src/jcs.js';
import { versionBody, type TestApp } from '../support/app.js';
import { expectNoEvent, expectProblem, seededApp } from './support.js';

/**
 * Rows #6, #7 and #8 of issue 8: bodies that are not objects, miss a required nested object, hold
 * a lone surrogate or nest without bound. Each is a 400 naming the field and the rule, on every
 * write route, and nothing is written.
 */
const WRITES: { method: string; path: string; valid: Record<string, unknown> }[] = [
  { method: 'POST', path: '/v1/models', valid: { name: 'fresh' } },
  { method: 'POST', path: '/v1/models/churn/versions', valid: versionBody('2.0.0', 7) },
  { method: 'POST', path: '/v1/models/churn/versions/1.0.0/gates', valid: { gate: 'offline-quality', status: 'passed' } },
  { method: 'POST', path: '/v1/models/churn/versions/1.0.0/approvals', valid: { decision: 'approve' } },
  { method: 'POST', path: '/v1/models/churn/versions/1.0.0/transitions', valid: { stage: 'Staging' } },
  { method: 'PUT', path: '/v1/models/churn/aliases/candidate', valid: { version: '1.0.0' } },
  { method: 'POST', path: '/v1/models/churn/rollback', valid: { toVersion: '1.0.0', reason: 'why' } },
  { method: 'POST', path: '/v1/models/churn/versions/1.0.0/approval-links', valid: { approvers: ['bob'] } },
];

const deep = (levels: number, leaf: unknown = 1) => {
  let v: unknown = leaf;
  for (let i = 0; i < levels; i++) v = { a: v };
  return v;
};

describe('request bodies are checked before anything reads them', () => {
  let t: TestApp;
  let token: string;
  beforeAll(async () => ({ t, token } = await seededApp()));
  afterAll(() => t.close());

  test.each(WRITES)('#6 $method $path: null, no body, an array, a scalar, a string → 400 naming the body', async ({ method, path }) => {
    await expectNoEvent(t, async () => {
      for (const raw of ['null', '[]', '[{"name":"x"}]', '1', 'true', '"text"']) {
        expectProblem(await t.call(method, path, { token, body: raw }), 400, 'body', 'isObject');
      }
      expectProblem(await t.call(method, path, { token }), 400, 'body', 'isObject');
      // Content-Type says JSON, the body is empty: still a named 400, not a framework message.
      expectProblem(await t.call(method, path, { token, body: '', headers: { 'content-type': 'application/json' } }), 400, 'body');
    });
  });

  test.each(WRITES)('#6 $method $path: {} → 400 naming a missing field', async ({ method, path }) => {
    await expectNoEvent(t, async () => {
      const r = await t.call(method, path, { token, body: {} });
      expectProblem(r, 400);
      expect(r.body.errors.length).toBeGreaterThan(0);
      for (const e of r.body.errors) expect(e).toMatchObject({ field: expect.stringMatching(/^[a-zA-Z]/), rule: expect.any(String), message: expect.any(String) });
    });
  });

  test('#6 POST /versions without artifact, with artifact null, [] or "x", or with a nested object null → 400 naming it', async () => {
    const base = versionBody('2.0.0', 7);
    await expectNoEvent(t, async () => {
      const { artifact: _drop, ...noArtifact } = base;
      expectProblem(await t.call('POST', '/v1/models/churn/versions', { token, body: { version: '2.0.0' } }), 400, 'artifact', 'isObject');
      expectProblem(await t.call('POST', '/v1/models/churn/versions', { token, body: noArtifact }), 400, 'artifact', 'isObject');
      for (const artifact of [null, [], 'x', 1]) expectProblem(await t.call('POST', '/v1/models/churn/versions', { token, body: { ...base, artifact } }), 400, 'artifact');
      expectProblem(await t.call('POST', '/v1/models/churn/versions', { token, body: { ...base, artifact: {} } }), 400, 'artifact.digest');
      expectProblem(await t.call('POST', '/v1/models/churn/versions', { token, body: { ...base, signature: {} } }), 400, 'signature.inputs');
      expectProblem(await t.call('POST', '/v1/models/churn/versions', { token, body: { ...base, signature: { inputs: null, outputs: [] } } }), 400, 'signature.inputs');
      expectProblem(await t.call('POST', '/v1/models/churn/versions', { token, body: { ...base, lineage: { image: [] } } }), 400, 'lineage.image');
      expectProblem(await t.call('POST', '/v1/models/churn/versions', { token, body: { ...base, lineage: 'x' } }), 400, 'lineage');
    });
  });

  test.each(WRITES)('#7 $method $path: a lone surrogate in any string or member name → 400 naming the field', async ({ method, path, valid }) => {
    const field = Object.keys(valid)[0];
    await expectNoEvent(t, async () => {
      // JSON.stringify escapes lone surrogates as \ud800, exactly what an attacker sends.
      expectProblem(await t.call(method, path, { token, body: JSON.stringify({ ...valid, [field]: '\ud800' }) }), 400, field, 'wellFormedUnicode');
      expectProblem(await t.call(method, path, { token, body: JSON.stringify({ ...valid, reason: 'ok \udc00 tail' }) }), 400, 'reason', 'wellFormedUnicode');
      expectProblem(await t.call(method, path, { token, body: JSON.stringify({ ...valid, ['\ud800']: 1 }) }), 400, 'body', 'wellFormedUnicode');
    });
  });

  test('#7 deep inside a free-form field too, and on /approve/{token}', async () => {
    const body = versionBody('2.0.0', 7, { signature: { inputs: [{ name: 'x', type: ['\udbff'] }], outputs: [] } });
    await expectNoEvent(t, async () => {
      expectProblem(await t.call('POST', '/v1/models/churn/versions', { token, body: JSON.stringify(body) }), 400, 'signature.inputs.0.type.0', 'wellFormedUnicode');
      expectProblem(await t.call('POST', '/approve/aaaa.bbbb.cccc', { body: JSON.stringify({ decision: 'approve', comment: '\ud800' }) }), 400, 'comment', 'wellFormedUnicode');
    });
  });

  test('#7 a well-formed pair (an emoji) is accepted', async () => {
    const r = await t.call('POST', '/v1/models', { token, body: { name: 'emoji', description: 'ok 😀' } });
    expect(r.status).toBe(201);
    expect(r.body.description).toBe('ok 😀');
  });

  test('#7 the canonicaliser itself refuses a lone surrogate with a typed validation error naming the member', () => {
    let caught: unknown;
    try {
      canonicalize({ data: { tags: { k: 'x\ud800' } } });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(CanonicalizationError);
    expect(caught).toMatchObject({ code: 'NOT_CANONICAL_JSON', kind: 'validation', details: [{ field: 'data.tags.k', rule: 'wellFormedUnicode' }] });
  });

  test.each(WRITES)('#8 $method $path: a body nested deeper than 64 levels → 400 maxDepth', async ({ method, path, valid }) => {
    await expectNoEvent(t, async () => {
      const r = await t.call(method, path, { token, body: { ...valid, extra: deep(2000) } });
      expectProblem(r, 400, undefined);
      expect(r.body.errors[0]).toMatchObject({ rule: 'maxDepth', field: expect.stringMatching(/^extra(\.a)+$/) });
    });
  });

  test('#8 the depth limit where it bit: signature.inputs 1,500 levels deep, and arrays of arrays', async () => {
    const base = versionBody('2.0.0', 7);
    // Built as text: JSON.stringify itself overflows on 20,000 levels.
    const arrays = `{"inputs":${'['.repeat(20_000)}0${']'.repeat(20_000)},"outputs":[]}`;
    await expectNoEvent(t, async () => {
      const r = await t.call('POST', '/v1/models/churn/versions', { token, body: { ...base, signature: { inputs: deep(1500), outputs: [] } } });
      expectProblem(r, 400);
      expect(r.body.errors[0]).toMatchObject({ rule: 'maxDepth', field: expect.stringMatching(/^signature\.inputs(\.a)+$/) });
      const a = await t.call('POST', '/v1/models/churn/versions', { token, body: JSON.stringify({ ...base, signature: null }).replace('"signature":null', `"signature":${arrays}`) });
      expectProblem(a, 400);
      expect(a.body.errors[0].rule).toBe('maxDepth');
    });
  });

  test('#8 a signature 60 levels deep is still accepted', async () => {
    const r = await t.call('POST', '/v1/models/churn/versions', { token, body: versionBody('3.0.0', 9, { signature: { inputs: [deep(55)], outputs: [] } }) });
    expect(r.status).toBe(201);
  });

  test('bodies in other media types: text/plain and forms are 415 on JSON routes', async () => {
    await expectNoEvent(t, async () => {
      expectProblem(await t.call('POST', '/v1/models', { token, body: '{"name":"plain"}', headers: { 'content-type': 'text/plain' } }), 415);
      expectProblem(await t.call('POST', '/v1/models', { token, body: 'name=form', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415);
      expectProblem(await t.call('POST', '/v1/models', { token, body: '{"name":', headers: { 'content-type': 'application/json' } }), 400, 'body', 'json');
      expectProblem(await t.call('POST', '/v1/models', { token, body: '{"__proto__":{"x":1},"name":"p"}' }), 400);
    });
  });
});
