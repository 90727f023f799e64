import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { trace } from '@opentelemetry/api';
import { startTestApp, type TestApp } from '../../../test/support/app.js';

describe('tracing', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  let t: TestApp;
  beforeAll(() => provider.register());
  afterAll(async () => {
    await provider.shutdown();
    trace.disable();
  });
  beforeEach(async () => {
    t = await startTestApp('sqlite');
  });
  afterEach(async () => t.close());

  test("a command runs in a span under the caller's traceparent, and its events carry that span's context", async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const callerSpan = '00f067aa0ba902b7';
    const token = await t.token('alice', ['registry:write']);
    const r = await t.call('POST', '/v1/models', { token, body: { name: 'traced' }, headers: { traceparent: `00-${traceId}-${callerSpan}-01` } });
    expect(r.status).toBe(201);
    const spans = exporter.getFinishedSpans();
    const http = spans.find((s) => s.name === 'POST /v1/models');
    const span = spans.find((s) => s.name === 'command CreateModel');
    expect(http).toBeDefined();
    expect(span).toBeDefined();
    expect(http!.parentSpanContext?.spanId).toBe(callerSpan);
    expect(span!.spanContext().traceId).toBe(traceId);
    expect(span!.parentSpanContext?.spanId).toBe(http!.spanContext().spanId);
    expect(span!.attributes).toMatchObject({ 'ledger.model': 'traced', 'ledger.events': 1 });
    const [event] = await t.store.readStream('model-traced');
    expect(event.metadata.traceparent).toBe(`00-${traceId}-${span!.spanContext().spanId}-01`);
  });
});
