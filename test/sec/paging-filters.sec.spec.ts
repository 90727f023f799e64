import type { TestApp } from '../support/app.js';
import { expectNoEvent, expectProblem, seededApp } from './support.js';

const b64 = (s: string) => Buffer.from(s).toString('base64url');

/** Row #9: cursors the endpoint did not make. Row #12: impossible dates. Row #14: control characters. */
describe('cursors, instants and filters are validated before they reach a query', () => {
  let t: TestApp;
  let token: string;
  beforeAll(async () => ({ t, token } = await seededApp()));
  afterAll(() => t.close());

  const PAGED = ['/v1/models', '/v1/models/churn/versions', '/v1/approvals', '/v1/audit/events'];
  const FORGED = [b64('{}'), b64('[]'), b64('{"name":1}'), b64('null'), b64('""'), b64('-1'), b64('1.5'), b64('1e400'), 'garbage!!', 'Zm9v', '%00'];

  test.each(PAGED)('#9 %s: forged or garbage cursors → 4xx problem naming cursor', async (path) => {
    for (const cursor of FORGED) {
      const r = await t.call('GET', `${path}?cursor=${encodeURIComponent(cursor)}`, { token });
      expect([400, 422]).toContain(r.status);
      expectProblem(r, r.status, 'cursor');
    }
  });

  test('#9 a cursor each endpoint made still pages', async () => {
    await t.call('POST', '/v1/models', { token, body: { name: 'zeta' } });
    const first = await t.call('GET', '/v1/models?limit=1', { token });
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await t.call('GET', `/v1/models?limit=1&cursor=${first.body.nextCursor}`, { token });
    expect(second.status).toBe(200);
    expect(second.body.items[0].name).not.toBe(first.body.items[0].name);
    // A versions cursor (a position) is not a models cursor (a name).
    const wrongKind = await t.call('GET', `/v1/models?cursor=${b64('3')}`, { token });
    expectProblem(wrongKind, 422, 'cursor');
  });

  const AUDIT_DATES: [string, string][] = [
    ['/v1/audit/events?from=', 'from'],
    ['/v1/audit/events?to=', 'to'],
    ['/v1/audit/export?from=', 'from'],
    ['/v1/audit/models/churn/state?at=', 'at'],
    ['/v1/audit/resolve?uri=models:/churn/1.0.0&at=', 'at'],
    ['/v1/audit/models/churn/diff?from=', 'from'],
    ['/v1/audit/models/churn/diff?from=2026-01-01T00:00:00Z&to=', 'to'],
  ];
  const IMPOSSIBLE = ['2026-02-30T00:00:00Z', '2025-02-29T00:00:00Z', '2026-13-01T00:00:00Z', '2026-04-31T00:00:00Z', '2026-01-01T24:00:00Z', '2026-01-01T23:60:00Z', '2026-01-01T23:59:60Z', '2026-01-01T00:00:00+24:00', '2026-01-01', '2026-01-01T00:00:00', 'yesterday'];

  test.each(AUDIT_DATES)('#12 %s<impossible> → 400 naming %s', async (prefix, field) => {
    for (const when of IMPOSSIBLE) expectProblem(await t.call('GET', `${prefix}${encodeURIComponent(when)}`, { token }), 400, field, 'isRFC3339');
  });

  test('#12 real instants still work: a leap day, an offset, a fraction', async () => {
    for (const when of ['2028-02-29T12:00:00Z', '2026-03-03T15:00:00+01:00', '2026-03-03T14:00:00.123456Z']) {
      const r = await t.call('GET', `/v1/audit/events?from=${encodeURIComponent(when)}`, { token });
      expect(r.status).toBe(200);
    }
  });

  const FILTERS = [
    '/v1/models?owner=',
    '/v1/models?tag=',
    '/v1/models?prefix=',
    '/v1/audit/events?actor=',
    '/v1/audit/events?correlationId=',
    '/v1/audit/export?actor=',
    '/v1/events/stream?model=',
    '/v1/events/stream?types=',
    '/v1/resolve?uri=',
  ];

  test.each(FILTERS)('#14 %s with a control character → 400 noControlCharacters', async (prefix) => {
    const field = prefix.slice(prefix.indexOf('?') + 1, -1);
    for (const c of ['%00', '%0A', '%1F', '%7F', '%C2%85', 'a%00b']) {
      expectProblem(await t.call('GET', `${prefix}${c}`, { token }), 400, field, 'noControlCharacters');
    }
  });

  test('#14 control characters in path parameters and in a DELETE reason are refused, and nothing is written', async () => {
    await expectNoEvent(t, async () => {
      expectProblem(await t.call('GET', '/v1/models/churn%00', { token }), 400, 'name', 'noControlCharacters');
      expectProblem(await t.call('DELETE', '/v1/models/churn/aliases/candidate%0A', { token }), 400, 'alias', 'noControlCharacters');
      expectProblem(await t.call('DELETE', '/v1/models/churn/aliases/candidate?reason=a%00b', { token }), 400, 'reason', 'noControlCharacters');
    });
  });

  test('undocumented query parameters are refused on every /v1 route, incl. those without a query DTO', async () => {
    for (const path of ['/v1/resolve?uri=models:/churn/1.0.0&bogus=1', '/v1/events/stream?bogus=1', '/v1/models?bogus=1', '/v1/models/churn?bogus=', '/v1/audit/keys?x=1']) {
      expectProblem(await t.call('GET', path, { token }), 400, path.endsWith('x=1') ? 'x' : 'bogus', 'unknownField');
    }
    await expectNoEvent(t, async () => {
      expectProblem(await t.call('POST', '/v1/models?dryRun=true', { token, body: { name: 'nope' } }), 400, 'dryRun', 'unknownField');
    });
    const ok = await t.call('GET', '/v1/resolve?uri=models:/churn/1.0.0&stage=any', { token });
    expect(ok.status).toBe(200);
  });

  test('#14 owner=%00 no longer lists every model; a real owner still filters', async () => {
    const ok = await t.call('GET', '/v1/models?owner=team-a', { token });
    expect(ok.body.items.map((m: { name: string }) => m.name)).toEqual(['churn']);
  });
});
