import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, propagation, trace, type Span } from '@opentelemetry/api';
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_ORIGINAL,
} from '@opentelemetry/semantic-conventions';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { randomUUID } from 'node:crypto';
import type { AuthenticatedRequest } from '#auth';
import { tracer } from '../application/tracing.js';
import { redactUrl, requestLogContext } from '#observability';

const SERVER_SPAN = Symbol('serverSpan');
type TracedRequest = FastifyRequest & { [SERVER_SPAN]?: Span };

/** The HTTP server span of a request, when tracing is on. */
export function serverSpan(req: object): Span | undefined {
  return (req as TracedRequest)[SERVER_SPAN];
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;
/** A caller's X-Request-Id is kept when it is short and plain; otherwise we make one. */
export function requestId(req: { headers: Record<string, string | string[] | undefined> }): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
}

/**
 * One HTTP server span per request (OTel HTTP semantic conventions: `{method} {route}`, with
 * `url.path` redacted and `http.route` the template), the request id in `X-Request-Id`, and one
 * `request completed` log line with status, duration, actor, request id and trace ids. Handlers
 * run inside the span's context and the request's log context.
 */
export function installRequestTelemetry(fastify: FastifyInstance, log: Logger): void {
  fastify.addHook('onRequest', (req, reply, done) => {
    const route = req.routeOptions?.url;
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    const span = tracer.startSpan(
      route ? `${req.method} ${route}` : req.method,
      {
        kind: SpanKind.SERVER,
        attributes: {
          [ATTR_HTTP_REQUEST_METHOD]: req.method,
          [ATTR_URL_PATH]: redactUrl(req.url.split('?')[0]),
          [ATTR_URL_SCHEME]: req.protocol,
          ...(route ? { [ATTR_HTTP_ROUTE]: route } : {}),
          [ATTR_CLIENT_ADDRESS]: req.ip,
          ...(typeof req.headers['user-agent'] === 'string' ? { [ATTR_USER_AGENT_ORIGINAL]: req.headers['user-agent'] } : {}),
        },
      },
      parent,
    );
    (req as TracedRequest)[SERVER_SPAN] = span;
    void reply.header('x-request-id', req.id);
    const logContext = { reqId: req.id, actor: () => (req as FastifyRequest & AuthenticatedRequest).actor?.sub };
    requestLogContext.run(logContext, () => context.with(trace.setSpan(parent, span), done));
  });

  const finish = (req: FastifyRequest, status: number | undefined, elapsedMs: number, aborted: boolean) => {
    const span = (req as TracedRequest)[SERVER_SPAN];
    const actor = (req as FastifyRequest & AuthenticatedRequest).actor?.sub;
    if (span) {
      if (status !== undefined) span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
      if (aborted || (status !== undefined && status >= 500)) {
        span.setAttribute(ATTR_ERROR_TYPE, aborted ? 'aborted' : String(status));
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      if (actor) span.setAttribute('enduser.id', actor);
      span.end();
    }
    const ids = span?.spanContext();
    log[status === 503 ? 'warn' : status !== undefined && status >= 500 ? 'error' : 'info'](
      {
        req_id: req.id,
        ...(ids && trace.isSpanContextValid(ids) ? { trace_id: ids.traceId, span_id: ids.spanId } : {}),
        ...(actor ? { actor } : {}),
        req: { method: req.method, url: redactUrl(req.url), ...(req.routeOptions?.url ? { route: req.routeOptions.url } : {}) },
        ...(status !== undefined ? { res: { status_code: status } } : {}),
        duration_ms: Math.round(elapsedMs * 10) / 10,
      },
      aborted ? 'request aborted' : 'request completed',
    );
  };
  fastify.addHook('onResponse', (req, reply, done) => {
    finish(req, reply.statusCode, reply.elapsedTime, false);
    done();
  });
  fastify.addHook('onRequestAbort', (req, done) => {
    finish(req, undefined, 0, true);
    done();
  });
}
