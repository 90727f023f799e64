import { ArgumentsHost, Catch, HttpException, Logger, type ExceptionFilter } from '@nestjs/common';
import { storeUnavailable } from '#persistence';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Socket } from 'node:net';
import { isMlflowPath, sendMlflowError } from '../mlflow/mlflow-errors.js';
import { DomainError, type ErrorDetail, type ErrorKind } from '#domain';
import { PROBLEM_HEADERS } from './security-headers.js';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance?: string;
  errors?: ErrorDetail[];
  [key: string]: unknown;
}

/** The one map from a domain error's kind to its HTTP status (the API and the approver page). */
export const STATUS_OF_KIND: Readonly<Record<ErrorKind, number>> = {
  validation: 422,
  not_found: 404,
  conflict: 409,
  precondition: 422,
  forbidden: 403,
  unauthorized: 401,
};

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  410: 'Gone',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

const HTTP_CODES: Record<number, string> = {
  400: 'MALFORMED_REQUEST',
  404: 'ROUTE_NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  413: 'BODY_TOO_LARGE',
  414: 'URI_TOO_LONG',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  431: 'HEADERS_TOO_LARGE',
};

/**
 * Fastify's own errors, each with our code and a detail of our own: Fastify's messages echo the
 * URL (which may hold an approval-link token) or the offending input.
 */
const FASTIFY_ERRORS: Record<string, { code: string; detail: string }> = {
  FST_ERR_BAD_URL: { code: 'BAD_URL', detail: 'the request path is not a valid URL (bad percent-encoding)' },
  FST_ERR_MAX_PARAM_LENGTH: { code: 'URI_TOO_LONG', detail: 'a path segment is longer than the server accepts' },
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'BODY_TOO_LARGE', detail: 'the request body is larger than the server accepts' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'UNSUPPORTED_MEDIA_TYPE', detail: 'this route takes a body of type application/json' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'MALFORMED_BODY', detail: 'Content-Length does not match the body' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'MALFORMED_BODY', detail: 'Content-Type is application/json but the body is empty' },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'MALFORMED_BODY', detail: 'the body is not valid JSON' },
};

/** What the client should do next, for the errors where that is not obvious. */
const NEXT_STEP: Record<string, string> = {
  CONCURRENCY_CONFLICT: 'Another write to this model landed first. Re-read the model and retry the request.',
  IDEMPOTENCY_KEY_IN_PROGRESS: 'A request with this Idempotency-Key is still running. Retry after it finishes.',
  PRODUCTION_OCCUPIED: 'Send archiveExisting: true to archive the incumbent in the same step.',
};

export const problemType = (code: string) => `https://model-ledger.dev/problems/${code.toLowerCase().replace(/_/g, '-')}`;

export interface ProblemInit {
  status: number;
  code: string;
  detail: string;
  title?: string;
  errors?: ErrorDetail[];
  [key: string]: unknown;
}

export class ProblemException extends HttpException {
  /** `headers` go on the response (e.g. Allow on a 405), not into the body. */
  constructor(
    readonly problem: ProblemInit,
    readonly headers: Record<string, string> = {},
  ) {
    super(problem.detail, problem.status);
  }
}

/** Route parameters that are credentials: never echoed in `instance`, `detail` or anywhere else. */
const SECRET_PARAMS = new Set(['token']);
/** Paths whose segment after the prefix is a credential, for requests that matched no route. */
const SECRET_PATH = /^(\/approve\/)[^/?#]*/;
const MAX_INSTANCE = 512;

interface RequestLike {
  url?: string;
  method?: string;
  params?: unknown;
  routeOptions?: { url?: string };
}

/**
 * The `instance` of a problem: the request path without its query, with secret path parameters
 * replaced by their name (`/approve/{token}`), so an error never hands a link token back.
 */
export function safeInstance(req: RequestLike | undefined): string | undefined {
  if (!req?.url) return undefined;
  const pattern = req.routeOptions?.url;
  const params = (req.params ?? {}) as Record<string, string>;
  let path: string;
  if (pattern) {
    path = pattern.replace(/:([A-Za-z0-9_]+)/g, (_, name: string) => (SECRET_PARAMS.has(name) ? `{${name}}` : encodeURIComponent(params[name] ?? '')));
  } else {
    path = req.url.split('?')[0].replace(SECRET_PATH, '$1{token}');
  }
  return path.length > MAX_INSTANCE ? `${path.slice(0, MAX_INSTANCE)}…` : path;
}

export function toProblem(err: unknown, instance?: string): Problem {
  if (err instanceof DomainError) {
    const status = STATUS_OF_KIND[err.kind];
    return {
      type: problemType(err.code),
      title: TITLES[status],
      status,
      detail: err.message,
      code: err.code,
      ...(instance ? { instance } : {}),
      ...(err.details.length ? { errors: err.details } : {}),
      ...err.extra,
      ...(NEXT_STEP[err.code] ? { next: NEXT_STEP[err.code] } : {}),
    };
  }
  if (err instanceof ProblemException) {
    const p = err.problem;
    return { type: problemType(p.code), title: p.title ?? TITLES[p.status] ?? 'Error', ...(instance ? { instance } : {}), ...p };
  }
  if (err instanceof HttpException) {
    const status = err.getStatus();
    const code = HTTP_CODES[status] ?? `HTTP_${status}`;
    // Nest's messages echo the URL ("Cannot GET /approve/<token>"): say it without the path.
    const detail = status === 404 ? 'no route matches this method and path' : err.message;
    return { type: problemType(code), title: TITLES[status] ?? 'Error', status, detail, code, ...(instance ? { instance } : {}) };
  }
  const unavailable = storeUnavailable(err);
  if (unavailable) {
    return { type: problemType(unavailable.code), title: TITLES[503], status: 503, detail: unavailable.detail, code: unavailable.code, ...(instance ? { instance } : {}) };
  }
  const fastifyCode = (err as { code?: string })?.code;
  const fastifyStatus = (err as { statusCode?: number })?.statusCode;
  if (typeof fastifyCode === 'string' && fastifyCode.startsWith('FST_') && fastifyStatus && fastifyStatus < 500) {
    const known = FASTIFY_ERRORS[fastifyCode];
    const code = known?.code ?? (fastifyCode.startsWith('FST_ERR_CTP') ? 'MALFORMED_BODY' : 'BAD_REQUEST');
    return {
      type: problemType(code),
      title: TITLES[fastifyStatus] ?? 'Bad Request',
      status: fastifyStatus,
      detail: known?.detail ?? 'the request could not be read',
      code,
      ...(instance ? { instance } : {}),
    };
  }
  return {
    type: problemType('INTERNAL'),
    title: TITLES[500],
    status: 500,
    detail: 'an unexpected error occurred; it has been logged',
    code: 'INTERNAL',
    ...(instance ? { instance } : {}),
  };
}

export function sendProblem(reply: FastifyReply, problem: Problem, headers: Record<string, string> = {}): void {
  if (problem.status === 503 && (problem.code === 'STORAGE_FULL' || problem.code === 'STORE_UNAVAILABLE')) reply.header('Retry-After', '5');
  if (problem.status === 401) reply.header('WWW-Authenticate', `Bearer error="invalid_token", error_description="${problem.detail.replace(/"/g, "'")}"`);
  // Headers a handler set before failing (a page's nonce CSP, a Location) do not describe the problem.
  for (const name of ['content-security-policy', 'location', 'content-disposition']) reply.removeHeader(name);
  void reply.status(problem.status).headers({ ...PROBLEM_HEADERS, ...headers }).header('Content-Type', 'application/problem+json').send(problem);
}

/**
 * Errors Node's HTTP parser raises before Fastify sees a request (431 headers too large, 400
 * unparseable request line, 408 timeout): answered on the raw socket, still as problem+json.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException & { bytesParsed?: number }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, detail] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'HEADERS_TOO_LARGE', 'the request line and headers are larger than the server accepts']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'REQUEST_TIMEOUT', 'the request was not received in time']
        : [400, 'MALFORMED_REQUEST', 'the request is not valid HTTP/1.1'];
  const body = JSON.stringify({ type: problemType(code), title: TITLES[status], status, detail, code });
  const headers = { ...PROBLEM_HEADERS, 'content-type': 'application/problem+json', 'content-length': String(Buffer.byteLength(body)), connection: 'close' };
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${TITLES[status]}\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n${body}`);
  }
  socket.destroy(err);
}

/** Fastify's routing errors (bad percent-encoding, over-long path parameter) as problems. */
export function frameworkErrors(err: Error, req: FastifyRequest, reply: FastifyReply): void {
  sendProblem(reply, toProblem(err, safeInstance(req)));
}

/** The one place domain errors, validation errors and framework errors become RFC 9457 responses. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('Problem');

  catch(err: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<FastifyRequest>();
    // Under the MLflow prefixes even malformed bodies and unknown routes answer in MLflow's form.
    if (isMlflowPath(req.url)) return sendMlflowError(http.getResponse<FastifyReply>(), err);
    const problem = toProblem(err, safeInstance(req));
    if (problem.status >= 500) this.logger.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    sendProblem(http.getResponse<FastifyReply>(), problem, err instanceof ProblemException ? err.headers : {});
  }
}
