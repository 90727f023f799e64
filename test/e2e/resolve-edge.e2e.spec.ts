import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { trace } from '@opentelemetry/api';
import { parseResolveQuery } from '../../apps/registry-api/src/use-cases/resolve/resolve.edge.js';
import { seedProductionModel, startTestApp, versionBody, type TestApp } from '../support/app.js';

/**
 * The HTTP server answers resolve-index hits itself (resolve.edge.ts), before Fastify and Nest.
 * Whether an answer came from there is read from /metrics (`model_ledger_resolve_index_answers`),
 * which only that path counts.
 */
const prod = `/v1/resolve?uri=${encodeURIComponent('models:/churn@prod')}`;

async function edgeAnswers(t: TestApp): Promise<{ ok: number; notModified: number }> {
  const text = (await fetch(`${t.url}/metrics`).then((r) => r.text())) as string;
  const count = (status: string) => Number(new RegExp(`model_ledger_resolve_index_answers(?:_total)?\\{[^}]*status="${status}"[^}]*\\} (\\d+)`).exec(text)?.[1] ?? 0);
  return { ok: count('200'), notModified: count('304') };
}

/** Header names and values that must not differ between the route's answer and the edge's. */
function comparable(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, name) => {
    if (!['date', 'x-request-id', 'keep-alive', 'connection'].includes(name)) out[name] = value;
  });
  return out;
}

describe('resolve edge: index hits answered by the HTTP server', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  test('a hit gets the same status, body and headers as the route gave, and is counted as an edge answer', async () => {
    t = await startTestApp('sqlite');
    await seedProductionModel(t);
    const reader = await t.token('reader', ['registry:read']);
    const first = await t.call('GET', prod, { token: reader, headers: { 'x-request-id': 'poll-1' } });
    expect(first.status).toBe(200);
    expect(await edgeAnswers(t)).toEqual({ ok: 0, notModified: 0 });

    const second = await t.call('GET', prod, { token: reader, headers: { 'x-request-id': 'poll-2' } });
    expect(await edgeAnswers(t)).toEqual({ ok: 1, notModified: 0 });
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    expect(comparable(second.headers)).toEqual(comparable(first.headers));
    expect(second.headers.get('x-request-id')).toBe('poll-2');
    expect(second.headers.get('x-content-type-options')).toBe('nosniff');

    const etag = second.headers.get('etag')!;
    const routeNotModified = await t.call('GET', prod, { token: reader, headers: { 'if-none-match': etag, 'x-min-position': '0' } });
    const edgeNotModified = await t.call('GET', prod, { token: reader, headers: { 'if-none-match': etag } });
    expect(await edgeAnswers(t)).toEqual({ ok: 1, notModified: 1 });
    expect([routeNotModified.status, edgeNotModified.status]).toEqual([304, 304]);
    expect(comparable(edgeNotModified.headers)).toEqual(comparable(routeNotModified.headers));
  });

  test('a body with multi-byte characters: Content-Length counts its UTF-8 bytes, from the route and from the edge alike', async () => {
    t = await startTestApp('sqlite');
    const alice = await t.token('alice', ['registry:read', 'registry:write', 'registry:promote']);
    const bob = await t.token('bob', ['registry:read', 'approvals:write']);
    expect((await t.call('POST', '/v1/models', { token: alice, body: { name: 'churn' } })).status).toBe(201);
    const registered = await t.call('POST', '/v1/models/churn/versions', { token: alice, body: versionBody('1.0.0', 1, { tags: { note: 'Größe ✓ 模型' } }) });
    expect(registered.status).toBe(201);
    expect((await t.call('POST', '/v1/models/churn/versions/1.0.0/approvals', { token: bob, body: { decision: 'approve' } })).status).toBe(201);
    expect((await t.call('POST', '/v1/models/churn/versions/1.0.0/transitions', { token: alice, body: { stage: 'Production' } })).status).toBe(200);
    const reader = await t.token('reader', ['registry:read']);
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${t.url}${prod}`, { headers: { authorization: `Bearer ${reader}` } });
      const bytes = Buffer.from(await res.arrayBuffer());
      expect(res.status).toBe(200);
      expect(Number(res.headers.get('content-length'))).toBe(bytes.length);
      expect((JSON.parse(bytes.toString('utf8')) as { tags: Record<string, string> }).tags.note).toBe('Größe ✓ 模型');
    }
    expect(await edgeAnswers(t)).toEqual({ ok: 1, notModified: 0 });
  });

  test('a token the route has not verified yet, or one no longer valid, is never answered from the edge', async () => {
    // No clock leeway, so the route refuses the short-lived token below as soon as it expires.
    t = await startTestApp('sqlite', { JWT_CLOCK_TOLERANCE_SECONDS: '0' });
    await seedProductionModel(t);
    const reader = await t.token('reader', ['registry:read']);
    expect((await t.call('GET', prod, { token: reader })).status).toBe(200);

    // A fresh, valid token: the route verifies it (signature, issuer, audience) before the edge may use it.
    const other = await t.token('other', ['registry:read']);
    expect((await t.call('GET', prod, { token: other })).status).toBe(200);
    expect((await edgeAnswers(t)).ok).toBe(0);
    expect((await t.call('GET', prod, { token: other })).status).toBe(200);
    expect((await edgeAnswers(t)).ok).toBe(1);

    // Signed by another key, and the same claims: never verified, so the route refuses it.
    const { generateKeyPair } = await import('jose');
    const forged = await t.token('reader', ['registry:read'], { key: (await generateKeyPair('EdDSA', { crv: 'Ed25519' })).privateKey });
    const refused = await t.call('GET', prod, { token: forged });
    expect([refused.status, refused.body.code]).toEqual([401, 'TOKEN_INVALID']);

    // Verified and cached while valid, then expired: refused at exp by the route, not served by the edge.
    const shortLived = await t.token('poller', ['registry:read'], { expiresIn: '2s' });
    expect((await t.call('GET', prod, { token: shortLived })).status).toBe(200);
    expect((await t.call('GET', prod, { token: shortLived })).status).toBe(200);
    expect((await edgeAnswers(t)).ok).toBe(2);
    await new Promise((r) => setTimeout(r, 2100));
    const expired = await t.call('GET', prod, { token: shortLived });
    expect([expired.status, expired.body.code]).toEqual([401, 'TOKEN_EXPIRED']);
    expect((await edgeAnswers(t)).ok).toBe(2);

    // A token with a qualified or an unrelated scope: the route's answer (403 or its own), never the edge's.
    const writer = await t.token('ci', ['registry:write']);
    expect((await t.call('GET', prod, { token: writer })).status).toBe(403);
    expect((await t.call('GET', prod, { token: writer })).status).toBe(403);
    expect((await edgeAnswers(t)).ok).toBe(2);
  });

  test('anything but exactly uri (and stage) once goes to the route and gets its answer', async () => {
    t = await startTestApp('sqlite');
    await seedProductionModel(t);
    const reader = await t.token('reader', ['registry:read']);
    expect((await t.call('GET', prod, { token: reader })).status).toBe(200);
    const cases: [string, number][] = [
      [`${prod}&extra=1`, 400],
      [`${prod}&uri=${encodeURIComponent('models:/churn@prod')}`, 422],
      [`${prod}&stage=Staging`, 422],
      [`${prod}&stage=Production&stage=any`, 422],
      [`${prod}%00`, 400],
      [`${prod}%E0%A4%A`, 422],
    ];
    for (const [path, status] of cases) {
      const r = await t.call('GET', path, { token: reader });
      expect([path, r.status, r.headers.get('content-type')]).toEqual([path, status, 'application/problem+json; charset=utf-8']);
    }
    expect((await edgeAnswers(t)).ok).toBe(0);
    // The same question spelled with '+' for a space (a range), as Fastify reads it.
    const range = `/v1/resolve?uri=${encodeURIComponent('models:/churn@>=1.0.0 <2').replaceAll('%20', '+')}`;
    const viaRoute = await t.call('GET', range, { token: reader });
    const viaEdge = await t.call('GET', range, { token: reader });
    expect([viaRoute.status, viaEdge.status]).toEqual([200, 200]);
    expect(viaEdge.body).toEqual(viaRoute.body);
    expect((await edgeAnswers(t)).ok).toBe(1);
    // HEAD is Fastify's: the same headers, no body.
    const head = await fetch(`${t.url}${prod}`, { method: 'HEAD', headers: { authorization: `Bearer ${reader}` } });
    expect(head.status).toBe(200);
    expect((await edgeAnswers(t)).ok).toBe(1);
  });

  test('parseResolveQuery accepts exactly uri and stage, once each, decoded as Fastify decodes them', () => {
    expect(parseResolveQuery('uri=models%3A%2Fm%40prod')).toEqual({ uri: 'models:/m@prod' });
    expect(parseResolveQuery('uri=models:/m@%3E%3D1+%3C2&stage=any')).toEqual({ uri: 'models:/m@>=1 <2', stage: 'any' });
    for (const bad of ['', 'uri', 'uri=a&uri=b', 'stage=any', 'uri=a&x=1', 'uri=%E0%A4%A', 'uri=a&', 'ur%69=a']) expect(parseResolveQuery(bad)).toBeUndefined();
  });

  test('access log: one summary line per interval with the counts per caller (default), or one line per request', async () => {
    const lines: Record<string, any>[] = [];
    const destination = { write: (line: string) => void lines.push(JSON.parse(line)) };
    t = await startTestApp('sqlite', { ACCESS_LOG_SUMMARY_SECONDS: '1', LOG_LEVEL: 'log' }, { logDestination: destination });
    await seedProductionModel(t);
    const reader = await t.token('reader', ['registry:read']);
    const poller = await t.token('poller', ['registry:read']);
    for (let i = 0; i < 3; i++) await t.call('GET', prod, { token: reader });
    const etag = (await t.call('GET', prod, { token: poller })).headers.get('etag')!;
    await t.call('GET', prod, { token: poller, headers: { 'if-none-match': etag } });
    await new Promise((r) => setTimeout(r, 1300));
    const summary = lines.filter((l) => l.msg === 'resolve index answers');
    expect(summary).toHaveLength(1);
    expect(summary[0]).toMatchObject({ requests: 3, not_modified: 1, callers: { reader: 2, poller: 1 }, served_from: 'resolve-index' });
    // The route's own answers (the first of each token) are logged one line each, as always.
    expect(lines.filter((l) => l.msg === 'request completed' && l.req?.route === '/v1/resolve').map((l) => l.actor)).toEqual(['reader', 'poller']);
    await t.close();

    lines.length = 0;
    t = await startTestApp('sqlite', { ACCESS_LOG_INDEX_HITS: 'each', LOG_LEVEL: 'log' }, { logDestination: destination });
    await seedProductionModel(t);
    const sameReader = await t.token('reader', ['registry:read']);
    await t.call('GET', prod, { token: sameReader, headers: { 'x-request-id': 'route' } });
    await t.call('GET', prod, { token: sameReader, headers: { 'x-request-id': 'edge' } });
    const each = lines.filter((l) => l.msg === 'request completed' && l.req?.route === '/v1/resolve');
    expect(each.map((l) => [l.req_id, l.actor, l.res.status_code, l.served_from])).toEqual([
      ['route', 'reader', 200, undefined],
      ['edge', 'reader', 200, 'resolve-index'],
    ]);
    expect(each[1].req.url).toBe(prod);
  });

  test('rejects an unknown ACCESS_LOG_INDEX_HITS at start-up', async () => {
    await expect(startTestApp('sqlite', { ACCESS_LOG_INDEX_HITS: 'sometimes' })).rejects.toThrow(/ACCESS_LOG_INDEX_HITS/);
  });
});

describe('resolve edge: tracing', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  let t: TestApp;
  beforeAll(() => provider.register());
  afterAll(async () => {
    await t?.close();
    await provider.shutdown();
    trace.disable();
  });

  test("an edge answer is a server span under the caller's traceparent, with the route, status and actor", async () => {
    t = await startTestApp('sqlite');
    await seedProductionModel(t);
    const reader = await t.token('reader', ['registry:read']);
    expect((await t.call('GET', prod, { token: reader })).status).toBe(200);
    exporter.reset();
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const r = await t.call('GET', prod, { token: reader, headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
    expect(r.status).toBe(200);
    expect((await edgeAnswers(t)).ok).toBe(1);
    const spans = exporter.getFinishedSpans().filter((s) => s.name === 'GET /v1/resolve');
    expect(spans).toHaveLength(1);
    expect(spans[0].spanContext().traceId).toBe(traceId);
    expect(spans[0].parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    expect(spans[0].attributes).toMatchObject({ 'http.route': '/v1/resolve', 'http.response.status_code': 200, 'enduser.id': 'reader' });
  });
});
