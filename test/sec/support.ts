import { request } from 'node:http';
import { ALL_SCOPES, startTestApp, versionBody, type TestApp } from '../support/app.js';

/** An app with one model (churn) and one version (1.0.0), and a token holding every scope. */
export async function seededApp(): Promise<{ t: TestApp; token: string }> {
  const t = await startTestApp('sqlite');
  const token = await t.token('alice', ALL_SCOPES);
  const created = await t.call('POST', '/v1/models', { token, body: { name: 'churn', owners: ['team-a'], tags: { domain: 'marketing' } } });
  if (created.status !== 201) throw new Error(`seed failed: ${created.status}`);
  const registered = await t.call('POST', '/v1/models/churn/versions', { token, body: versionBody('1.0.0', 1) });
  if (registered.status !== 201) throw new Error(`seed failed: ${registered.status}`);
  return { t, token };
}

/** The security headers every problem response carries (the approver page's set, with a stricter CSP). */
export function expectProblemHeaders(headers: Headers | Record<string, unknown>): void {
  const get = (n: string) => (headers instanceof Headers ? headers.get(n) : (headers[n] as string | undefined));
  expect(get('content-type')).toMatch(/^application\/problem\+json/);
  expect(get('x-content-type-options')).toBe('nosniff');
  expect(get('referrer-policy')).toBe('no-referrer');
  expect(get('x-frame-options')).toBe('DENY');
  expect(get('cache-control')).toBe('no-store');
  expect(get('content-security-policy')).toBe("default-src 'none'; frame-ancestors 'none'");
}

/** An RFC 9457 problem with this status whose `errors` name `field` with `rule`. */
export function expectProblem(res: { status: number; headers: Headers; body: any }, status: number, field?: string, rule?: string): void {
  expect({ status: res.status, body: res.body }).toMatchObject({ status, body: { status, type: expect.stringMatching(/^https:\/\//), title: expect.any(String), detail: expect.any(String), code: expect.any(String) } });
  expectProblemHeaders(res.headers);
  if (field !== undefined) expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field, ...(rule ? { rule } : {}) })]));
}

/** Runs `fn` and checks the event store head did not move. */
export async function expectNoEvent(t: TestApp, fn: () => Promise<void>): Promise<void> {
  const before = await t.store.headPosition();
  await fn();
  expect(await t.store.headPosition()).toBe(before);
}

/** A raw HTTP/1.1 request (any method, an unencoded path), for what fetch refuses to send. */
export function rawRequest(url: string, method: string, path: string, headers: Record<string, string> = {}, body?: string) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }>((resolve, reject) => {
    const req = request(url, { method, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}
