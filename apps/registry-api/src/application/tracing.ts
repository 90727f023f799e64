import { SpanKind, SpanStatusCode, context, propagation, trace, type Span } from '@opentelemetry/api';

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

/**
 * A database span in the active context (OTel database conventions: `{operation} {collection}`,
 * `db.system.name`, `db.operation.name`, `db.collection.name`). `append` is the event-store write
 * (one transaction), `project` the read-model update that follows it.
 */
export async function withDbSpan<T>(operation: string, system: string, collection: string, attributes: Record<string, string | number>, fn: () => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(
    `${operation} ${collection}`,
    { kind: SpanKind.CLIENT, attributes: { 'db.system.name': system, 'db.operation.name': operation, 'db.collection.name': collection, ...attributes } },
    async (span) => {
      try {
        return await fn();
      } catch (err) {
        span.recordException(err as Error);
        span.setAttribute('error.type', err instanceof Error ? err.name : 'Error');
        span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
        throw err;
      } finally {
        span.end();
      }
    },
  );
}
