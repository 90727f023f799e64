import { connect } from 'node:net';
import type { TestApp } from '../support/app.js';
import { expectProblem, expectProblemHeaders, rawRequest, seededApp } from './support.js';

/** A link-shaped credential: what must never come back in an error. */
const TOKEN = `eyJhbGciOiJFZERTQSJ9.${'eyJzdWIiOiJib2IifQ'.repeat(4)}.${'S'.repeat(86)}`;
const SECRET = TOKEN.split('.')[2];

/** Row #13 (never echo a token; every error is problem+json with the same headers), 405s, HTML page headers. */
describe('errors: problem+json with security headers, never echoing a credential', () => {
  let t: TestApp;
  let token: string;
  beforeAll(async () => ({ t, token } = await seededApp()));
  afterAll(() => t.close());

  const parse = (text: string) => JSON.parse(text) as Record<string, unknown>;

  test('#13 non-HTML errors on /approve/{token} name the route, not the token, and carry the page headers', async () => {
    const cases: [string, Parameters<TestApp['call']>[2], number][] = [
      ['POST', { body: '{"decision":', headers: { 'content-type': 'application/json' } }, 400],
      ['POST', { body: JSON.stringify({ decision: '\ud800' }) }, 400],
      ['POST', { body: 'decision=approve', headers: { 'content-type': 'text/plain' } }, 415],
      ['POST', { body: JSON.stringify({ comment: 'x'.repeat(70_000) }) }, 413],
      ['PUT', { body: {} }, 405],
      ['DELETE', {}, 405],
    ];
    for (const [method, opts, status] of cases) {
      const r = await t.call(method, `/approve/${TOKEN}`, opts);
      expectProblem(r, status);
      expect(r.body.instance).toBe('/approve/{token}');
      expect(JSON.stringify(r.body)).not.toContain(SECRET);
      expect([...r.headers.values()].join('\n')).not.toContain(SECRET);
    }
  });

  test('#13 a token over the path-length limit: 414 problem, token not echoed', async () => {
    const long = `${TOKEN}${'A'.repeat(5000)}`;
    const r = await rawRequest(t.url, 'GET', `/approve/${long}`);
    expect(r.status).toBe(414);
    expectProblemHeaders(r.headers);
    expect(parse(r.text)).toMatchObject({ status: 414, code: 'URI_TOO_LONG', instance: '/approve/{token}' });
    expect(r.text).not.toContain(SECRET);
  });

  test('#13 a bad percent-encoding: 400 problem, not Fastify JSON', async () => {
    const r = await rawRequest(t.url, 'GET', `/approve/${TOKEN}%`);
    expect(r.status).toBe(400);
    expectProblemHeaders(r.headers);
    expect(parse(r.text)).toMatchObject({ status: 400, code: 'BAD_URL' });
    expect(r.text).not.toContain(SECRET);
    const api = await rawRequest(t.url, 'GET', '/v1/models/%E0%A4%A');
    expect(api.status).toBe(400);
    expectProblemHeaders(api.headers);
  });

  test('#13 headers too large (431) and a request Node cannot parse (400) are problem+json with the headers', async () => {
    const big = await rawRequest(t.url, 'GET', '/v1/models', { 'x-filler': 'a'.repeat(20_000), authorization: `Bearer ${token}` });
    expect(big.status).toBe(431);
    expectProblemHeaders(big.headers);
    expect(parse(big.text)).toMatchObject({ status: 431, code: 'HEADERS_TOO_LARGE', type: expect.stringMatching(/^https:/) });
    const longUrl = await rawRequest(t.url, 'GET', `/v1/models?prefix=${'a'.repeat(20_000)}`);
    expect(longUrl.status).toBe(431);
    expectProblemHeaders(longUrl.headers);
    const garbage = await new Promise<string>((resolve) => {
      const { port } = new URL(t.url);
      const s = connect(Number(port), '127.0.0.1', () => s.write('NOT HTTP\r\n\r\n'));
      let out = '';
      s.on('data', (c) => (out += c));
      s.on('close', () => resolve(out));
    });
    expect(garbage).toMatch(/^HTTP\/1\.1 400 /);
    expect(garbage.toLowerCase()).toContain('content-type: application/problem+json');
    expect(garbage.toLowerCase()).toContain('x-content-type-options: nosniff');
  });

  test('#13 unknown routes and invalid JSON are problem+json with the headers; the detail does not echo the path', async () => {
    const nf = await t.call('GET', `/nowhere/${SECRET}`, { token });
    expectProblem(nf, 404);
    expect(nf.body.detail).not.toContain(SECRET);
    expectProblem(await t.call('POST', '/v1/models', { token, body: '{', headers: { 'content-type': 'application/json' } }), 400, 'body', 'json');
  });

  test('405 with Allow for undeclared methods on known paths, incl. TRACE on health and metrics', async () => {
    const cases: [string, string, string][] = [
      ['TRACE', '/health/live', 'GET, HEAD'],
      ['TRACE', '/health/ready', 'GET, HEAD'],
      ['TRACE', '/metrics', 'GET, HEAD'],
      ['POST', '/metrics', 'GET, HEAD'],
      ['PUT', '/v1/models', 'GET, HEAD, POST'],
      ['DELETE', '/v1/models/churn', 'GET, HEAD'],
      ['PATCH', '/v1/models/churn/versions/1.0.0', 'GET, HEAD'],
      ['POST', '/v1/models/churn/aliases/prod', 'DELETE, GET, HEAD, PUT'],
      ['OPTIONS', '/v1/audit/events', 'GET, HEAD'],
      ['GET', '/approve/abc.def.ghi/extra', ''],
    ];
    for (const [method, path, allow] of cases) {
      const r = await rawRequest(t.url, method, path, { authorization: `Bearer ${token}` });
      if (!allow) {
        expect(r.status).toBe(404);
        continue;
      }
      expect({ method, path, status: r.status }).toEqual({ method, path, status: 405 });
      expect(r.headers.allow).toBe(allow);
      expectProblemHeaders(r.headers);
      expect(parse(r.text)).toMatchObject({ status: 405, code: 'METHOD_NOT_ALLOWED' });
    }
  });

  test('#14 every HTML route sends nosniff, Referrer-Policy and a frame ban', async () => {
    for (const path of ['/audit/ui', `/approve/${TOKEN}`, '/docs']) {
      const r = await fetch(`${t.url}${path}`);
      expect(r.headers.get('content-type')).toMatch(/^text\/html/);
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
      expect(r.headers.get('referrer-policy')).toBe('no-referrer');
      expect(r.headers.get('x-frame-options')).toBe('DENY');
    }
  });

  test('JSON responses carry nosniff and a CSP that loads nothing', async () => {
    const r = await t.call('GET', '/v1/models', { token });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.headers.get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
  });
});
