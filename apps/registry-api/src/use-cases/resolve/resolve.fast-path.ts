import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { TokenVerifier, type AuthenticatedRequest } from '#auth';
import { Scopes, hasScope } from '#domain';
import { sendResolved } from './resolve.controller.js';
import { ResolveHandler } from './resolve.handler.js';

const BEARER = /^Bearer\s+(\S+)$/i;
const ALLOWED_QUERY = new Set(['uri', 'stage']);

/**
 * Serving systems poll `GET /v1/resolve` all day. When the answer is in the resolve index and the
 * caller's token verifies with `registry:read`, it is sent from an onRequest hook, without Nest's
 * guard/interceptor/rxjs pipeline. Everything else — a miss, a bad or missing token, a missing
 * scope, odd query parameters, X-Min-Position — falls through to the Nest route, which applies
 * the same checks and gives the problem+json answers; this path only ever answers 200 or 304.
 * It runs before the preValidation request guards, and answers nothing they would refuse: only
 * the documented keys, each once, and only a uri the Nest route answered before (the index is
 * filled there), so no control characters or broken Unicode.
 */
export function installResolveFastPath(fastify: FastifyInstance, handler: ResolveHandler, verifier: TokenVerifier): void {
  fastify.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    if (req.method !== 'GET' || !req.url.startsWith('/v1/resolve?')) return;
    if (req.headers['x-min-position'] !== undefined) return;
    const query = req.query as Record<string, unknown>;
    for (const k of Object.keys(query)) if (!ALLOWED_QUERY.has(k)) return;
    const { uri, stage } = query;
    if (typeof uri !== 'string' || (stage !== undefined && typeof stage !== 'string')) return;
    const match = typeof req.headers.authorization === 'string' ? BEARER.exec(req.headers.authorization) : null;
    if (!match) return;
    const hit = handler.cached(uri, stage);
    if (!hit) return;
    let actor;
    try {
      actor = await verifier.verify(match[1]);
    } catch {
      return; // the guard on the Nest route answers 401 with the reason
    }
    // The route declares registry:read and has no :name parameter, so only unqualified scopes cover it (as in ScopeGuard).
    if (!hasScope(actor.scopes, Scopes.read)) return;
    (req as FastifyRequest & AuthenticatedRequest).actor = actor;
    return sendResolved(reply, hit, req.headers['if-none-match']);
  });
}
