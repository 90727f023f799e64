import { CanActivate, ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { TokenVerifier, type AuthenticatedRequest } from '#auth';
import { hasScope } from '#domain';
import { MlflowError } from './mlflow-errors.js';

export const MLFLOW_SCOPES = 'model-ledger:mlflow-scopes';
/** The MLflow route needs one of these scopes; qualified scopes match the model `name` of the request. */
export const MlflowScopes = (...anyOf: string[]) => SetMetadata(MLFLOW_SCOPES, anyOf);

/**
 * The same bearer JWTs and scopes as the native API. MLflow requests carry the model name in the
 * query (GET) or the JSON body, not in the path, so this guard (on the MLflow controllers, which
 * opt out of the global one) takes it from there. A route without declared scopes is refused.
 */
@Injectable()
export class MlflowAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: TokenVerifier,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<AuthenticatedRequest & { method?: string; query?: unknown; body?: unknown }>();
    const header = req.headers.authorization;
    const value = Array.isArray(header) ? header[0] : header;
    const match = value ? /^Bearer\s+(\S+)$/i.exec(value) : null;
    if (!match) throw new MlflowError('UNAUTHENTICATED', 'missing bearer token: set MLFLOW_TRACKING_TOKEN to a model-ledger JWT');
    try {
      req.actor = await this.verifier.verify(match[1]);
    } catch (err) {
      throw new MlflowError('UNAUTHENTICATED', err instanceof Error ? err.message : 'invalid token');
    }
    const required = this.reflector.getAllAndOverride<string[]>(MLFLOW_SCOPES, [context.getHandler(), context.getClass()]);
    if (!required?.length) throw new MlflowError('PERMISSION_DENIED', 'this route declares no scope and is closed by default');
    // The same place the handler reads it from (query for GET, body otherwise), so a name in the
    // other place cannot borrow a qualified scope for the model actually written.
    const name = modelNameOf(req.method === 'GET' ? req.query : req.body);
    if (!required.some((s) => hasScope(req.actor!.scopes, s, name))) {
      throw new MlflowError('PERMISSION_DENIED', `this call requires scope '${required.join("' or '")}'${name ? ` for model '${name}'` : ''}`);
    }
    return true;
  }
}

function modelNameOf(source: unknown): string | undefined {
  if (!source || typeof source !== 'object') return undefined;
  const name = (source as { name?: unknown }).name;
  return typeof name === 'string' && name.length > 0 ? name : undefined;
}
