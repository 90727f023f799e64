import type { OpenAPIObject } from '@nestjs/swagger';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ErrorDetail } from '#domain';
import { isWellFormedText } from '../../../../libs/event-store/src/jcs.js';
import { ProblemException } from './problem.js';

/** C0 controls, DEL and C1 controls: never part of a name, a filter or a path. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

function checkValue(field: string, value: string): ErrorDetail | undefined {
  if (CONTROL.test(value)) return { field, rule: 'noControlCharacters', message: `${field} contains a control character (U+0000–U+001F, U+007F–U+009F)` };
  if (!isWellFormedText(value)) return { field, rule: 'wellFormedUnicode', message: `${field} holds a lone UTF-16 surrogate, which is not valid Unicode text` };
  return undefined;
}

/** The first path parameter or query value that carries a control character or broken Unicode. */
export function checkRequestStrings(req: Pick<FastifyRequest, 'params' | 'query'>): ErrorDetail | undefined {
  for (const source of [req.params, req.query] as unknown[]) {
    if (!source || typeof source !== 'object') continue;
    for (const [name, raw] of Object.entries(source)) {
      for (const value of Array.isArray(raw) ? raw : [raw]) {
        if (typeof value !== 'string') continue;
        const bad = checkValue(name, value);
        if (bad) return bad;
      }
    }
  }
  return undefined;
}

/**
 * Refuses, before any guard or handler runs, path parameters and query values holding control
 * characters (`owner=%00` would otherwise match most models through LIKE) or lone surrogates.
 */
export function registerRequestGuards(fastify: FastifyInstance): void {
  fastify.addHook('preValidation', (req, _reply, done) => {
    const bad = checkRequestStrings(req);
    done(bad ? new ProblemException({ status: 400, code: 'VALIDATION_FAILED', detail: bad.message, errors: [bad] }) : undefined);
  });
}

/**
 * Query parameters a /v1 operation does not document are refused (400 unknownField), as the
 * validation pipe already does for DTO-typed queries: the server accepts exactly what /docs-json
 * says. Routes outside /v1 (the approver page, other APIs' compatibility layers) are left alone.
 */
export function registerUnknownQueryGuard(fastify: FastifyInstance, document: () => OpenAPIObject): void {
  let declared: Map<string, Set<string>> | undefined;
  const build = () => {
    const table = new Map<string, Set<string>>();
    for (const [path, item] of Object.entries(document().paths)) {
      for (const [method, op] of Object.entries(item as Record<string, { parameters?: { in: string; name: string }[] }>)) {
        table.set(`${method.toUpperCase()} ${path}`, new Set((op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name)));
      }
    }
    return table;
  };
  fastify.addHook('preValidation', (req, _reply, done) => {
    const route = req.routeOptions.url;
    if (!route?.startsWith('/v1/') || !req.query || typeof req.query !== 'object') return done();
    declared ??= build();
    const allowed = declared.get(`${req.method === 'HEAD' ? 'GET' : req.method} ${route.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`);
    const unknown = allowed && Object.keys(req.query).find((name) => !allowed.has(name));
    if (!unknown) return done();
    const field = unknown.length > 64 ? `${unknown.slice(0, 64)}…` : unknown;
    done(new ProblemException({ status: 400, code: 'VALIDATION_FAILED', detail: `unknown query parameter '${field}'`, errors: [{ field, rule: 'unknownField', message: `unknown query parameter '${field}'` }] }));
  });
}
