import { jest } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { context, propagation, trace } from '@opentelemetry/api';
import { startTelemetry, type Telemetry } from '#observability';
import { startTestApp, versionBody, type TestApp } from '../support/app.js';
import { KAFKA_BROKERS, collect, createTopics, uniqueTopics } from '../support/kafka.js';

jest.setTimeout(180_000);

const OTLP = process.env.JAEGER_OTLP_ENDPOINT;
const QUERY = process.env.JAEGER_QUERY_URL;
const ready = Boolean(OTLP && QUERY && KAFKA_BROKERS);
const describeJaeger = ready ? describe : describe.skip;
if (!ready) console.warn('skipped: JAEGER_OTLP_ENDPOINT / JAEGER_QUERY_URL / KAFKA_BROKERS unset — traces into Jaeger (scripts/services.sh up jaeger kafka)');

/** A span as Jaeger's HTTP query API (GET /api/traces/{traceID}) returns it. */
interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  references: { refType: string; traceID: string; spanID: string }[];
  tags: { key: string; value: unknown }[];
  processID: string;
}

async function jaegerTrace(traceId: string, until: (spans: JaegerSpan[]) => boolean): Promise<{ spans: JaegerSpan[]; processes: Record<string, { serviceName: string }> }> {
  const deadline = Date.now() + 60_000;
  let last = '';
  for (;;) {
    const r = await fetch(`${QUERY}/api/traces/${traceId}`);
    if (r.ok) {
      const body = (await r.json()) as { data: { spans: JaegerSpan[]; processes: Record<string, { serviceName: string }> }[] };
      const t = body.data?.[0];
      if (t && until(t.spans)) return t;
      last = JSON.stringify(t?.spans.map((s) => s.operationName));
    } else last = `${r.status}`;
    if (Date.now() > deadline) throw new Error(`trace ${traceId} incomplete in Jaeger: ${last}`);
    await new Promise((res) => setTimeout(res, 250));
  }
}

const tag = (s: JaegerSpan, key: string) => s.tags.find((t) => t.key === key)?.value;
const parentOf = (s: JaegerSpan) => s.references.find((r) => r.refType === 'CHILD_OF')?.spanID;

describeJaeger('traces reach a real Jaeger (OTLP/HTTP), one trace from the HTTP request to the Kafka publish', () => {
  let telemetry: Telemetry;
  let t: TestApp;
  const topics = uniqueTopics('trace');
  beforeAll(async () => {
    // The SDK exactly as main.ts starts it, configured by the standard variables.
    process.env.OTEL_TRACES_EXPORTER = 'otlp';
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = OTLP;
    process.env.OTEL_SERVICE_NAME = `model-ledger-test-${randomBytes(3).toString('hex')}`;
    process.env.OTEL_BSP_SCHEDULE_DELAY = '200';
    telemetry = startTelemetry({ serviceName: 'model-ledger-api' });
    await createTopics([topics.events, topics.promotions]);
    t = await startTestApp('sqlite', topics.env);
  });
  afterAll(async () => {
    await t?.close();
    await telemetry?.shutdown();
    // The SDK registered globals; later suites in this process start without them.
    trace.disable();
    context.disable();
    propagation.disable();
    for (const k of ['OTEL_TRACES_EXPORTER', 'OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_SERVICE_NAME', 'OTEL_BSP_SCHEDULE_DELAY']) delete process.env[k];
  });

  test('POST …/transitions → command → append → projection → relay send: one trace id, also on the Kafka message', async () => {
    const alice = await t.token('alice', ['registry:read', 'registry:write']);
    const bob = await t.token('bob', ['registry:read', 'approvals:write']);
    const rm = await t.token('rm', ['registry:read', 'registry:promote']);
    expect((await t.call('POST', '/v1/models', { token: alice, body: { name: 'traced' } })).status).toBe(201);
    expect((await t.call('POST', '/v1/models/traced/versions', { token: alice, body: versionBody('1.0.0', 1) })).status).toBe(201);
    expect((await t.call('POST', '/v1/models/traced/versions/1.0.0/approvals', { token: bob, body: { decision: 'approve' } })).status).toBe(201);

    const consumer = await collect([topics.promotions]);
    const traceId = randomBytes(16).toString('hex');
    const callerSpan = randomBytes(8).toString('hex');
    const r = await t.call('POST', '/v1/models/traced/versions/1.0.0/transitions', {
      token: rm,
      body: { stage: 'Production', reason: 'traced release' },
      headers: { traceparent: `00-${traceId}-${callerSpan}-01` },
    });
    expect(r.status).toBe(200);

    // The Kafka message carries the trace.
    await consumer.waitFor((rs) => rs.some((m) => m.value.type === 'dev.model-ledger.version.promoted.v1' && m.key === 'traced'));
    const promoted = consumer.received.find((m) => m.value.type === 'dev.model-ledger.version.promoted.v1')!;
    await consumer.stop();
    const [, messageTraceId, messageParent] = promoted.headers.traceparent.split('-');
    expect(messageTraceId).toBe(traceId);

    // Jaeger has the whole chain under that id.
    await telemetry.tracerProvider!.forceFlush();
    const sendName = `send ${topics.promotions}`;
    const found = await jaegerTrace(traceId, (spans) => spans.some((s) => s.operationName === sendName));
    const byName = (name: string) => {
      const s = found.spans.find((x) => x.operationName === name);
      if (!s) throw new Error(`no span ${name} in ${found.spans.map((x) => x.operationName).join(', ')}`);
      return s;
    };
    const http = byName('POST /v1/models/:name/versions/:version/transitions');
    const command = byName('command TransitionStage');
    const append = byName('append events');
    const project = byName('project read_models');
    const send = byName(sendName);
    for (const s of [http, command, append, project, send]) expect(s.traceID).toBe(traceId);
    expect(parentOf(http)).toBe(callerSpan);
    expect(parentOf(command)).toBe(http.spanID);
    expect(parentOf(append)).toBe(command.spanID);
    expect(parentOf(project)).toBe(command.spanID);
    expect(parentOf(send)).toBe(command.spanID);
    // The message's traceparent names the span that wrote the event.
    expect(messageParent).toBe(command.spanID);

    // Semantic conventions.
    expect(tag(http, 'http.request.method')).toBe('POST');
    expect(tag(http, 'http.route')).toBe('/v1/models/:name/versions/:version/transitions');
    expect(tag(http, 'url.path')).toBe('/v1/models/traced/versions/1.0.0/transitions');
    expect(tag(http, 'http.response.status_code')).toBe(200);
    expect(tag(http, 'span.kind')).toBe('server');
    expect(tag(append, 'db.system.name')).toBe('sqlite');
    expect(tag(append, 'db.operation.name')).toBe('append');
    expect(tag(append, 'span.kind')).toBe('client');
    expect(tag(send, 'messaging.system')).toBe('kafka');
    expect(tag(send, 'messaging.operation.type')).toBe('send');
    expect(tag(send, 'messaging.destination.name')).toBe(topics.promotions);
    expect(tag(send, 'span.kind')).toBe('producer');
    expect(found.processes[http.processID].serviceName).toBe(process.env.OTEL_SERVICE_NAME);
  });
});
