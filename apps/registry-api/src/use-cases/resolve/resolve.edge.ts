import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { ROOT_CONTEXT, SpanKind, propagation } from '@opentelemetry/api';
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
} from '@opentelemetry/semantic-conventions';
import type { Logger } from 'pino';
import type { TokenVerifier, VerifiedActor } from '#auth';
import { Scopes, hasScope } from '#domain';
import { redactUrl } from '#observability';
import { tracer } from '../../application/tracing.js';
import { requestId } from '../../http/request-telemetry.js';
import { BASE_SECURITY_HEADERS, NON_HTML_CSP } from '../../http/security-headers.js';
import { matchesIfNoneMatch } from './resolve-cache.js';
import type { ResolveHandler } from './resolve.handler.js';

export type IndexHitLogging = 'summary' | 'each' | 'off';

const PREFIX = '/v1/resolve?';
const BEARER = /^Bearer\s+(\S+)$/i;
/** Headers of every edge answer besides etag and x-request-id, as the route sends them (security headers included). */
const COMMON_HEADERS: readonly string[] = [
  'cache-control',
  'private, no-cache',
  ...Object.entries(BASE_SECURITY_HEADERS).flat(),
  'content-security-policy',
  NON_HTML_CSP,
];
const JSON_TYPE = 'application/json; charset=utf-8';
/** Callers named one by one in a summary line; the rest are counted together. */
const SUMMARY_CALLERS = 1000;

/** The query of a resolve request when it is exactly `uri` and perhaps `stage`, each once; else undefined. */
export function parseResolveQuery(query: string): { uri: string; stage?: string } | undefined {
  let uri: string | undefined;
  let stage: string | undefined;
  for (const part of query.split('&')) {
    const eq = part.indexOf('=');
    if (eq < 0) return undefined;
    const key = part.slice(0, eq);
    let value: string;
    try {
      // As Fastify's parser reads it: '+' is a space.
      value = decodeURIComponent(part.slice(eq + 1).replaceAll('+', ' '));
    } catch {
      return undefined;
    }
    if (key === 'uri' && uri === undefined) uri = value;
    else if (key === 'stage' && stage === undefined) stage = value;
    else return undefined;
  }
  return uri === undefined ? undefined : stage === undefined ? { uri } : { uri, stage };
}

/**
 * Serving systems poll `GET /v1/resolve?uri=models:/m@prod` all day. An answer the resolve index
 * holds, asked with a token verified earlier that still grants `registry:read`, is written here,
 * straight from the HTTP server (edgeServerFactory), before Fastify and Nest see the request.
 *
 * It answers only 200 and 304 and only what the Nest route would answer the same way: the index
 * is filled by that route (so the uri already passed its validation and guards) and its entries
 * are forgotten as the read model moves; the token is one the route's guard verified, refused here
 * once expired. Everything else — a miss, an unknown or expired token, a missing scope, any other
 * query parameter, X-Min-Position, a request body — goes on to Fastify unchanged, which gives the
 * problem+json answers. Responses carry the same headers as the route's (ETag, cache-control,
 * X-Request-Id, the security headers), a server span when tracing is on, and are logged as
 * ACCESS_LOG_INDEX_HITS says.
 */
export class ResolveEdge {
  private ok = 0;
  private notModified = 0;
  private readonly window = new Map<string, number>();
  private windowOther = 0;
  private windowNotModified = 0;
  private windowStarted = Date.now();
  private readonly timer?: NodeJS.Timeout;
  private readonly lastCaller = new WeakMap<Socket, { authorization: string; actor: VerifiedActor; until: number }>();

  constructor(
    private readonly handler: ResolveHandler,
    private readonly verifier: TokenVerifier,
    private readonly log: Logger,
    private readonly logging: IndexHitLogging,
    summaryEveryMs: number,
  ) {
    if (logging === 'summary') {
      this.timer = setInterval(() => this.writeSummary(), summaryEveryMs);
      this.timer.unref();
    }
  }

  /** Answers served here since start, by status (for /metrics). */
  get served(): { ok: number; notModified: number } {
    return { ok: this.ok, notModified: this.notModified };
  }

  /** Writes the last summary line. */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.writeSummary();
  }

  /** True when the request was answered here; false leaves it, untouched, to Fastify. */
  serve(req: IncomingMessage, res: ServerResponse): boolean {
    const url = req.url;
    if (req.method !== 'GET' || url === undefined || !url.startsWith(PREFIX)) return false;
    const headers = req.headers;
    if (headers['x-min-position'] !== undefined || headers['content-length'] !== undefined || headers['transfer-encoding'] !== undefined) return false;
    const authorization = headers.authorization;
    if (typeof authorization !== 'string') return false;
    const query = parseResolveQuery(url.slice(PREFIX.length));
    if (!query) return false;
    const answer = this.handler.cached(query.uri, query.stage);
    if (!answer) return false;
    const actor = this.callerOf(req.socket, authorization);
    // The route declares registry:read and has no :name parameter, so only unqualified scopes cover it (as in ScopeGuard).
    if (!actor || !hasScope(actor.scopes, Scopes.read)) return false;

    const started = this.logging === 'each' ? performance.now() : 0;
    const id = requestId(req);
    const fresh = matchesIfNoneMatch(headers['if-none-match'], answer.etag);
    const status = fresh ? 304 : 200;
    // One flat array literal of a fixed shape (name, value, …): no object built key by key per poll.
    if (fresh) {
      res.writeHead(304, ['etag', answer.etag, 'x-request-id', id, ...COMMON_HEADERS]);
      res.end();
    } else {
      res.writeHead(200, ['etag', answer.etag, 'x-request-id', id, ...COMMON_HEADERS, 'content-type', JSON_TYPE, 'content-length', String(answer.length)]);
      res.end(answer.body);
    }

    const span = tracer.startSpan('GET /v1/resolve', { kind: SpanKind.SERVER }, propagation.extract(ROOT_CONTEXT, headers));
    const recording = span.isRecording();
    if (recording) {
      span.setAttributes({
        [ATTR_HTTP_REQUEST_METHOD]: 'GET',
        [ATTR_URL_PATH]: '/v1/resolve',
        [ATTR_URL_SCHEME]: 'http',
        [ATTR_HTTP_ROUTE]: '/v1/resolve',
        [ATTR_CLIENT_ADDRESS]: req.socket.remoteAddress ?? '',
        [ATTR_HTTP_RESPONSE_STATUS_CODE]: status,
        'enduser.id': actor.sub,
      });
    }
    span.end();

    if (fresh) this.notModified++;
    else this.ok++;
    if (this.logging === 'summary') {
      if (fresh) this.windowNotModified++;
      const seen = this.window.get(actor.sub);
      if (seen !== undefined) this.window.set(actor.sub, seen + 1);
      else if (this.window.size < SUMMARY_CALLERS) this.window.set(actor.sub, 1);
      else this.windowOther++;
    } else if (this.logging === 'each') {
      const ids = recording ? span.spanContext() : undefined;
      this.log.info(
        {
          req_id: id,
          ...(ids ? { trace_id: ids.traceId, span_id: ids.spanId } : {}),
          actor: actor.sub,
          req: { method: 'GET', url: redactUrl(url), route: '/v1/resolve' },
          res: { status_code: status },
          duration_ms: Math.round((performance.now() - started) * 10) / 10,
          served_from: 'resolve-index',
        },
        'request completed',
      );
    }
    return true;
  }

  /**
   * The verified caller behind an Authorization header. A poller sends the same header on every
   * request of a keep-alive connection, so the connection remembers the last one it verified (and
   * until when) and skips the claim cache's SHA-256; a different header or an expired one asks
   * the claim cache again.
   */
  private callerOf(socket: Socket, authorization: string): VerifiedActor | undefined {
    const last = this.lastCaller.get(socket);
    const nowSeconds = this.verifier.nowMs() / 1000;
    if (last !== undefined && last.authorization === authorization && last.until > nowSeconds) return last.actor;
    const bearer = BEARER.exec(authorization);
    if (!bearer) return undefined;
    const cached = this.verifier.cachedActor(bearer[1]);
    if (!cached) {
      this.lastCaller.delete(socket);
      return undefined;
    }
    this.lastCaller.set(socket, { authorization, actor: cached.actor, until: cached.until });
    return cached.actor;
  }

  private writeSummary(): void {
    const now = Date.now();
    if (this.window.size === 0 && this.windowOther === 0) {
      this.windowStarted = now;
      return;
    }
    const callers = Object.fromEntries(this.window);
    const requests = [...this.window.values()].reduce((a, b) => a + b, this.windowOther);
    this.log.info(
      {
        req: { method: 'GET', route: '/v1/resolve' },
        served_from: 'resolve-index',
        since: new Date(this.windowStarted).toISOString(),
        interval_s: Math.round((now - this.windowStarted) / 100) / 10,
        requests,
        not_modified: this.windowNotModified,
        callers,
        ...(this.windowOther ? { other_callers_requests: this.windowOther } : {}),
      },
      'resolve index answers',
    );
    this.window.clear();
    this.windowOther = 0;
    this.windowNotModified = 0;
    this.windowStarted = now;
  }
}
