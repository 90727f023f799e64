import { CanActivate, ExecutionContext, Injectable, SetMetadata, createParamDecorator } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { DomainError, hasScope, isValidModelName } from '#domain';
import { TokenVerifier, UnauthorizedError, type VerifiedActor } from './token-verifier.js';

export const IS_PUBLIC = 'model-ledger:public';
export const REQUIRED_SCOPES = 'model-ledger:scopes';

/** Opts a route out of the deny-by-default guard. */
export const Public = () => SetMetadata(IS_PUBLIC, true);
/** The route needs one of these scopes (qualified scopes match the `:name` route parameter). */
export const RequireScopes = (...anyOf: string[]) => SetMetadata(REQUIRED_SCOPES, anyOf);

export interface AuthenticatedRequest {
  headers: Record<string, string | string[] | undefined>;
  params?: Record<string, string>;
  actor?: VerifiedActor;
}

export const CurrentActor = createParamDecorator((_: unknown, ctx: ExecutionContext): VerifiedActor => {
  const actor = ctx.switchToHttp().getRequest<AuthenticatedRequest>().actor;
  if (!actor) throw new UnauthorizedError('no authenticated actor');
  return actor;
});

/**
 * Global guard: every route needs a valid bearer token and its declared scope unless marked
 * @Public(). A route that declares no scope is refused, so a forgotten annotation fails closed.
 */
@Injectable()
export class ScopeGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: TokenVerifier,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = req.headers.authorization;
    const value = Array.isArray(header) ? header[0] : header;
    const match = value ? /^Bearer\s+(\S+)$/i.exec(value) : null;
    if (!match) throw new UnauthorizedError('missing bearer token (Authorization: Bearer <jwt>)', 'TOKEN_MISSING');
    req.actor = await this.verifier.verify(match[1]);
    const required = this.reflector.getAllAndOverride<string[]>(REQUIRED_SCOPES, targets);
    if (!required || required.length === 0) {
      throw new DomainError('MISSING_SCOPE', 'forbidden', 'this route declares no scope and is closed by default');
    }
    // Qualified scopes are matched only against a valid model name (length first): an invalid
    // `:name` is covered by unqualified scopes alone, and the route's validation answers 400.
    const name = req.params?.name;
    const model = name !== undefined && isValidModelName(name) ? name : undefined;
    if (!required.some((s) => hasScope(req.actor!.scopes, s, model))) {
      throw new DomainError('MISSING_SCOPE', 'forbidden', `this call requires scope '${required.join("' or '")}'`, [], {
        requiredScope: required.length === 1 ? required[0] : required,
      });
    }
    return true;
  }
}
