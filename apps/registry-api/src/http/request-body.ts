import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ErrorDetail } from '#domain';
import { isWellFormedText } from '../../../../libs/event-store/src/jcs.js';
import { ProblemException } from './problem.js';

/** Deeper than any real model signature or policy document; deep enough to stop recursion attacks. */
export const MAX_BODY_DEPTH = 64;

/** Routes that take an HTML form (the approver page); every other route takes JSON only. */
const FORM_ROUTE = /^\/approve\//;

const badBody = (detail: string, errors: ErrorDetail[]) => new ProblemException({ status: 400, code: 'VALIDATION_FAILED', detail, errors });

const fieldOf = (path: (string | number)[]) => (path.length ? path.join('.') : 'body');

/**
 * Checks a parsed body before anything else reads it: nesting at most MAX_BODY_DEPTH levels, and
 * every string and member name well-formed Unicode (a lone surrogate has no UTF-8 form, so the
 * hash chain could not record it). Iterative, so a hostile depth cannot overflow the stack here.
 * Returns the first violation, naming the field.
 */
export function checkJsonShape(value: unknown, maxDepth = MAX_BODY_DEPTH): ErrorDetail | undefined {
  const stack: { value: unknown; path: (string | number)[] }[] = [{ value, path: [] }];
  while (stack.length) {
    const { value: v, path } = stack.pop()!;
    if (typeof v === 'string') {
      if (!isWellFormedText(v)) return { field: fieldOf(path), rule: 'wellFormedUnicode', message: `${fieldOf(path)} holds a lone UTF-16 surrogate, which is not valid Unicode text` };
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (path.length >= maxDepth) {
      return { field: fieldOf(path), rule: 'maxDepth', message: `the body nests objects and arrays deeper than ${maxDepth} levels (at ${fieldOf(path)})` };
    }
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], path: [...path, i] });
      continue;
    }
    for (const [key, member] of Object.entries(v)) {
      if (!isWellFormedText(key)) return { field: fieldOf(path), rule: 'wellFormedUnicode', message: `a member name in ${fieldOf(path)} holds a lone UTF-16 surrogate` };
      stack.push({ value: member, path: [...path, key] });
    }
  }
  return undefined;
}

/**
 * Body parsing for the whole app: JSON with Fastify's prototype-poisoning protection, then the
 * shape check above; URL-encoded forms only where a route is an HTML form; no other media type
 * (Fastify's default text/plain parser would hand a string to a JSON route).
 */
export function registerBodyParsers(app: NestFastifyApplication, bodyLimit: number): void {
  const fastify = app.getHttpAdapter().getInstance() as FastifyInstance;
  const json = fastify.getDefaultJsonParser('error', 'error');
  app.useBodyParser('application/json', { bodyLimit }, (req: FastifyRequest, body: Buffer, done: (err: Error | null, value?: unknown) => void) => {
    json(req, body.toString('utf8'), (err: Error | null, value?: unknown) => {
      if (err) {
        const empty = (err as { code?: string }).code === 'FST_ERR_CTP_EMPTY_JSON_BODY';
        return done(badBody(empty ? 'Content-Type is application/json but the body is empty' : 'the body is not valid JSON', [
          { field: 'body', rule: empty ? 'required' : 'json', message: empty ? 'send a JSON object' : 'the body must be one JSON value (RFC 8259)' },
        ]));
      }
      const violation = checkJsonShape(value);
      done(violation ? badBody(violation.message, [violation]) : null, value);
    });
  });
  app.useBodyParser('application/x-www-form-urlencoded', { bodyLimit }, (req: FastifyRequest, body: Buffer, done: (err: Error | null, value?: unknown) => void) => {
    if (!FORM_ROUTE.test(req.routeOptions.url ?? '')) {
      return done(new ProblemException({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', detail: 'this route takes a body of type application/json' }));
    }
    const fields: Record<string, string> = Object.create(null);
    for (const [k, v] of new URLSearchParams(body.toString('utf8'))) if (!(k in fields)) fields[k] = v;
    const violation = checkJsonShape(fields);
    done(violation ? badBody(violation.message, [violation]) : null, { ...fields });
  });
  fastify.removeContentTypeParser('text/plain');
}
