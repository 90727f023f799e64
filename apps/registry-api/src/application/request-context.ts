import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { AuthenticatedRequest } from '#auth';
import { UnauthorizedError } from '#auth';
import type { Actor } from '#domain';
import { uuidv7 } from '#persistence';
import { serverSpan } from '../http/request-telemetry.js';

/** Who is asking and the tracing context the events will carry. */
export interface RequestContext {
  actor: Actor;
  correlationId: string;
  causationId?: string;
  traceparent?: string;
  /** How the command arrived when not through the plain API (e.g. "approval-link"). */
  via?: string;
  /** Set by the IdempotencyInterceptor: the request's key hash, stamped on the events it appends. */
  idempotencyKey?: string;
}

/** The request property through which the IdempotencyInterceptor hands the key hash to Ctx. */
export const IDEMPOTENCY_KEY_PROPERTY = 'ledgerIdempotencyKey';

const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;
const header = (req: FastifyRequest, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

export const Ctx = createParamDecorator((_: unknown, ctx: ExecutionContext): RequestContext => {
  const req = ctx.switchToHttp().getRequest<FastifyRequest & AuthenticatedRequest & { [IDEMPOTENCY_KEY_PROPERTY]?: string }>();
  if (!req.actor) throw new UnauthorizedError('no authenticated actor');
  const correlationId = header(req, 'x-correlation-id')?.slice(0, 128) || uuidv7();
  const causationId = header(req, 'x-causation-id')?.slice(0, 128);
  // With tracing on, the command's parent is this request's HTTP server span (itself a child of
  // the caller's traceparent); without it, the caller's traceparent is passed through as is.
  const span = serverSpan(req);
  const sc = span?.isRecording() ? span.spanContext() : undefined;
  const traceparent = sc ? `00-${sc.traceId}-${sc.spanId}-${sc.traceFlags.toString(16).padStart(2, '0')}` : header(req, 'traceparent');
  return {
    actor: { sub: req.actor.sub, scopes: req.actor.scopes },
    correlationId,
    ...(causationId ? { causationId } : {}),
    ...(traceparent && TRACEPARENT.test(traceparent) ? { traceparent } : {}),
    ...(req[IDEMPOTENCY_KEY_PROPERTY] ? { idempotencyKey: req[IDEMPOTENCY_KEY_PROPERTY] } : {}),
  };
});
