import { SpanStatusCode, context, propagation, trace, type Span } from '@opentelemetry/api';

export const tracer = trace.getTracer('model-ledger');

/**
 * Runs `fn` in a span whose parent is the caller's W3C traceparent (when it sent one). Returns
 * the traceparent to store on events: this span's when tracing is on, else the caller's.
 */
export async function withSpan<T>(
  name: string,
  parentTraceparent: string | undefined,
  attributes: Record<string, string | number>,
  fn: (span: Span, traceparent: string | undefined) => Promise<T>,
): Promise<T> {
  const parent = parentTraceparent ? propagation.extract(context.active(), { traceparent: parentTraceparent }) : context.active();
  return tracer.startActiveSpan(name, { attributes }, parent, async (span) => {
    const carrier: Record<string, string> = {};
    propagation.inject(context.active(), carrier);
    try {
      return await fn(span, span.isRecording() ? (carrier.traceparent ?? parentTraceparent) : parentTraceparent);
    } catch (err) {
      span.recordException(err as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
      throw err;
    } finally {
      span.end();
    }
  });
}
