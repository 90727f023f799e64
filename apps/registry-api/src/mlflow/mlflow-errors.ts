import { ArgumentsHost, Catch, HttpException, Logger, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { DomainError } from '#domain';
import { ProblemException } from '../http/problem.js';

/**
 * MLflow's error form on the MLflow routes: `{"error_code": "...", "message": "..."}` with
 * MLflow's statuses, instead of problem+json. The client raises `MlflowException` with the
 * message; it retries 5xx, so nothing that is the caller's fault may become one.
 */
export type MlflowErrorCode =
  | 'INVALID_PARAMETER_VALUE'
  | 'RESOURCE_ALREADY_EXISTS'
  | 'RESOURCE_DOES_NOT_EXIST'
  | 'PERMISSION_DENIED'
  | 'UNAUTHENTICATED'
  | 'INVALID_STATE'
  | 'ENDPOINT_NOT_FOUND'
  | 'INTERNAL_ERROR'
  | 'TEMPORARILY_UNAVAILABLE';

const STATUS: Record<MlflowErrorCode, number> = {
  INVALID_PARAMETER_VALUE: 400,
  RESOURCE_ALREADY_EXISTS: 400,
  INVALID_STATE: 400,
  RESOURCE_DOES_NOT_EXIST: 404,
  ENDPOINT_NOT_FOUND: 404,
  PERMISSION_DENIED: 403,
  UNAUTHENTICATED: 401,
  INTERNAL_ERROR: 500,
  TEMPORARILY_UNAVAILABLE: 503,
};

export class MlflowError extends Error {
  constructor(
    readonly errorCode: MlflowErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export const invalidParam = (message: string) => new MlflowError('INVALID_PARAMETER_VALUE', message);

/** Domain codes whose MLflow meaning is not the default for their kind. */
const BY_CODE: Record<string, MlflowErrorCode> = {
  MODEL_EXISTS: 'RESOURCE_ALREADY_EXISTS',
  VERSION_EXISTS: 'RESOURCE_ALREADY_EXISTS',
  MODEL_DELETED: 'INVALID_STATE',
  CONCURRENCY_CONFLICT: 'TEMPORARILY_UNAVAILABLE',
};

export function toMlflowError(err: unknown): { status: number; body: { error_code: MlflowErrorCode; message: string } } {
  let code: MlflowErrorCode;
  let message: string;
  if (err instanceof MlflowError) {
    code = err.errorCode;
    message = err.message;
  } else if (err instanceof DomainError) {
    code =
      BY_CODE[err.code] ??
      {
        validation: 'INVALID_PARAMETER_VALUE' as const,
        not_found: 'RESOURCE_DOES_NOT_EXIST' as const,
        conflict: 'INVALID_STATE' as const,
        precondition: 'INVALID_STATE' as const,
        forbidden: 'PERMISSION_DENIED' as const,
        unauthorized: 'UNAUTHENTICATED' as const,
      }[err.kind];
    message = `${err.message} [${err.code}]`;
  } else if (err instanceof ProblemException || err instanceof HttpException) {
    const status = err.getStatus();
    const body = err.getResponse() as { detail?: string; message?: string | string[] } | string;
    const text = typeof body === 'string' ? body : (body.detail ?? (Array.isArray(body.message) ? body.message.join('; ') : body.message) ?? err.message);
    code = status === 401 ? 'UNAUTHENTICATED' : status === 403 ? 'PERMISSION_DENIED' : status === 404 ? 'ENDPOINT_NOT_FOUND' : status >= 500 ? 'INTERNAL_ERROR' : 'INVALID_PARAMETER_VALUE';
    message = text;
  } else if (err instanceof Error && typeof (err as { statusCode?: unknown }).statusCode === 'number') {
    // Fastify's own errors (malformed JSON, body too large, bad content type) before any handler ran.
    const status = (err as unknown as { statusCode: number }).statusCode;
    code = status === 404 ? 'ENDPOINT_NOT_FOUND' : status >= 500 ? 'INTERNAL_ERROR' : 'INVALID_PARAMETER_VALUE';
    message = status >= 500 ? 'internal error' : err.message.slice(0, 300);
  } else {
    code = 'INTERNAL_ERROR';
    message = 'internal error';
  }
  return { status: STATUS[code], body: { error_code: code, message } };
}

const MLFLOW_PREFIX = /^\/(api|ajax-api)\/2\.0\/mlflow\//;
export const isMlflowPath = (url: string | undefined) => MLFLOW_PREFIX.test(url ?? '');

const logger = new Logger('mlflow');
export function sendMlflowError(reply: FastifyReply, err: unknown): void {
  const { status, body } = toMlflowError(err);
  if (body.error_code === 'INTERNAL_ERROR') logger.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  void reply.status(status).header('content-type', 'application/json').send(body);
}

@Catch()
export class MlflowErrorFilter implements ExceptionFilter {
  catch(err: unknown, host: ArgumentsHost): void {
    sendMlflowError(host.switchToHttp().getResponse<FastifyReply>(), err);
  }
}
