import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ErrorDetail } from '../../../../libs/domain/src/index.js';
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
