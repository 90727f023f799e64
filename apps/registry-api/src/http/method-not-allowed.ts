import type { FastifyInstance } from 'fastify';
import { ProblemException } from './problem.js';

interface KnownPath {
  pattern: RegExp;
  methods: Set<string>;
}

const toPattern = (url: string) =>
  new RegExp(
    `^${url
      .split('/')
      .map((seg) => (seg === '*' ? '.*' : seg.startsWith(':') ? '[^/]+' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
      .join('/')}$`,
  );

/**
 * 405 with `Allow` for a method a known path does not declare (TRACE on /health/live, PUT on
 * /v1/models), instead of a 404 that says the path does not exist. The route table is collected
 * as routes are registered, so new routes are covered without a list to maintain.
 */
export function registerMethodNotAllowed(fastify: FastifyInstance): { allowed(path: string): string[] } {
  const paths = new Map<string, KnownPath>();
  fastify.addHook('onRoute', (route) => {
    const known = paths.get(route.url) ?? { pattern: toPattern(route.url), methods: new Set<string>() };
    for (const m of [route.method].flat()) known.methods.add(m);
    if (known.methods.has('GET')) known.methods.add('HEAD');
    paths.set(route.url, known);
  });
  const allowed = (path: string) => {
    const methods = new Set<string>();
    for (const known of paths.values()) if (known.pattern.test(path)) for (const m of known.methods) methods.add(m);
    return [...methods].sort();
  };
  fastify.addHook('onRequest', (req, _reply, done) => {
    if (!req.is404) return done();
    const methods = allowed(req.url.split('?')[0]);
    if (methods.length === 0 || methods.includes(req.method)) return done();
    done(
      new ProblemException(
        { status: 405, code: 'METHOD_NOT_ALLOWED', detail: `${req.method} is not allowed here; allowed: ${methods.join(', ')}`, allowed: methods },
        { allow: methods.join(', ') },
      ),
    );
  });
  return { allowed };
}
