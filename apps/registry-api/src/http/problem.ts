import { ArgumentsHost, Catch, HttpException, Logger, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, type ErrorDetail, type ErrorKind } from '../../../../libs/domain/src/index.js';

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
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

const HTTP_CODES: Record<number, string> = {
  400: 'MALFORMED_REQUEST',
  404: 'ROUTE_NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  413: 'BODY_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
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
  constructor(readonly problem: ProblemInit) {
    super(problem.detail, problem.status);
  }
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
    return { type: problemType(code), title: TITLES[status] ?? 'Error', status, detail: err.message, code, ...(instance ? { instance } : {}) };
  }
  const fastifyCode = (err as { code?: string; statusCode?: number })?.code;
  const fastifyStatus = (err as { statusCode?: number })?.statusCode;
  if (typeof fastifyCode === 'string' && fastifyCode.startsWith('FST_') && fastifyStatus && fastifyStatus < 500) {
    const code =
      fastifyCode === 'FST_ERR_CTP_BODY_TOO_LARGE'
        ? 'BODY_TOO_LARGE'
        : fastifyCode === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
          ? 'UNSUPPORTED_MEDIA_TYPE'
          : fastifyCode.startsWith('FST_ERR_CTP')
            ? 'MALFORMED_BODY'
            : 'BAD_REQUEST';
    return {
      type: problemType(code),
      title: TITLES[fastifyStatus] ?? 'Bad Request',
      status: fastifyStatus,
      detail: (err as Error).message,
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

export function sendProblem(reply: FastifyReply, problem: Problem): void {
  if (problem.status === 401) reply.header('WWW-Authenticate', `Bearer error="invalid_token", error_description="${problem.detail.replace(/"/g, "'")}"`);
  void reply.status(problem.status).header('Content-Type', 'application/problem+json').send(problem);
}

/** The one place domain errors, validation errors and framework errors become RFC 9457 responses. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('Problem');

  catch(err: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const req = http.getRequest<FastifyRequest>();
    const problem = toProblem(err, req.url);
    if (problem.status >= 500) this.logger.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    sendProblem(http.getResponse<FastifyReply>(), problem);
  }
}
