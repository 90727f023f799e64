import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { startTestApp, versionBody, type TestApp } from '../../../test/support/app.js';
import { approversFile } from '../../../test/support/approvers.js';
import { issueLinks, page } from '../../../test/support/links.js';
import { redactUrl } from '#observability';

/** The server's own log output, one JSON object per line, as an operator's log shipper reads it. */
class Lines {
  readonly raw: string[] = [];
  write(chunk: string) {
    this.raw.push(...chunk.split('\n').filter(Boolean));
  }
  json(): Record<string, any>[] {
    return this.raw.map((l) => JSON.parse(l) as Record<string, any>);
  }
}

describe('structured logs', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  let t: TestApp;
  let lines: Lines;
  beforeAll(() => provider.register());
  afterAll(async () => {
    await provider.shutdown();
    trace.disable();
  });
  beforeEach(async () => {
    lines = new Lines();
    exporter.reset();
    t = await startTestApp('sqlite', { APPROVERS_FILE: approversFile(), APPROVAL_REQUESTS_AUTO: 'false' }, { logDestination: lines });
  });
  afterEach(async () => t.close());

  test('every line is JSON; a request line carries its trace id, span id, request id and actor', async () => {
    const token = await t.token('alice', ['registry:write']);
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const r = await t.call('POST', '/v1/models', { token, body: { name: 'logged' }, headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01`, 'x-request-id': 'req-42' } });
    expect(r.status).toBe(201);
    expect(r.headers.get('x-request-id')).toBe('req-42');
    const records = lines.json(); // throws on any non-JSON line
    const line = records.find((l) => l.trace_id === traceId && l.msg === 'request completed');
    expect(line).toMatchObject({ level: 'info', req_id: 'req-42', actor: 'alice', span_id: expect.stringMatching(/^[0-9a-f]{16}$/), req: { method: 'POST', url: '/v1/models', route: '/v1/models' }, res: { status_code: 201 } });
    expect(typeof line!.time).toBe('string');
    // A made-up request id (a header injection attempt) is replaced, not echoed into the logs.
    const evil = await t.call('GET', '/health/live', { headers: { 'x-request-id': 'x"}{"level":"fatal' } });
    expect(evil.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  test('no token is ever logged: /approve/{token} paths are redacted in log lines and span attributes, Authorization headers too', async () => {
    const alice = await t.token('alice', ['registry:read', 'registry:write']);
    const lead = await t.token('lead', ['registry:read', 'approvals:write']);
    await t.call('POST', '/v1/models', { token: alice, body: { name: 'churn' } });
    expect((await t.call('POST', '/v1/models/churn/versions', { token: alice, body: versionBody('1.0.0', 1) })).status).toBe(201);
    const [link] = await issueLinks(t, lead, 'churn', '1.0.0', ['bob']);
    expect((await page(t, 'GET', link.token)).status).toBe(200);
    expect((await page(t, 'GET', `${link.token}x`)).status).toBeGreaterThanOrEqual(400);
    expect((await page(t, 'POST', link.token, { decision: 'approve', comment: 'ok' })).status).toBe(200);
    // Logged by the framework when nothing matches: the path is in the message.
    await fetch(`${t.url}/approve/${link.token}/nothing-here`);
    const text = lines.raw.join('\n');
    lines.json();
    expect(text).not.toContain(link.token);
    expect(text).not.toContain(link.token.split('.')[2]); // not even the signature part
    for (const bearer of [alice, lead]) expect(text).not.toContain(bearer.split('.')[2]);
    expect(text).not.toMatch(/\/approve\/(?!\[REDACTED\]|:token\b)/);
    const approveLines = lines.json().filter((l) => l.req?.route === '/approve/:token');
    expect(approveLines.length).toBeGreaterThanOrEqual(3);
    for (const l of approveLines) expect(l.req.url).toBe('/approve/[REDACTED]');

    const spans = exporter.getFinishedSpans().filter((s) => s.attributes['http.route'] === '/approve/:token');
    expect(spans.length).toBeGreaterThanOrEqual(3);
    for (const s of spans) {
      expect(s.attributes['url.path']).toBe('/approve/[REDACTED]');
      expect(s.name).toMatch(/^(GET|POST) \/approve\/:token$/);
    }
    const all = JSON.stringify(exporter.getFinishedSpans().map((s) => ({ name: s.name, attributes: s.attributes, events: s.events })));
    expect(all).not.toContain(link.token.split('.')[2]);
  });

  test('redactUrl removes the token wherever a path carries one', () => {
    expect(redactUrl('/approve/aaa.bbb.ccc')).toBe('/approve/[REDACTED]');
    expect(redactUrl('Cannot GET /approve/aaa.bbb.ccc/x?y=1')).toBe('Cannot GET /approve/[REDACTED]/x?y=1');
    expect(redactUrl('/v1/models/approve')).toBe('/v1/models/approve');
  });
});
