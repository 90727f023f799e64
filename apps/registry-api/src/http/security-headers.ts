import type { FastifyInstance } from 'fastify';

/**
 * Headers every response carries unless its route set its own (the HTML pages set a stricter,
 * nonce-based CSP themselves). A JSON API gains nothing from being framed, sniffed or referred.
 */
export const BASE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

/** Non-HTML responses run no script and load nothing. */
export const NON_HTML_CSP = "default-src 'none'; frame-ancestors 'none'";

/** Every problem+json response: the base headers, the strict CSP, and never cached (it may describe a secret-bearing request). */
export const PROBLEM_HEADERS: Readonly<Record<string, string>> = {
  ...BASE_SECURITY_HEADERS,
  'content-security-policy': NON_HTML_CSP,
  'cache-control': 'no-store',
};

/** Adds the base security headers to every response Fastify sends (handlers, errors, 404s). */
export function registerSecurityHeaders(fastify: FastifyInstance): void {
  fastify.addHook('onSend', (_req, reply, payload, done) => {
    for (const [name, value] of Object.entries(BASE_SECURITY_HEADERS)) if (!reply.hasHeader(name)) void reply.header(name, value);
    const type = String(reply.getHeader('content-type') ?? '');
    if (!type.startsWith('text/html') && !reply.hasHeader('content-security-policy')) void reply.header('content-security-policy', NON_HTML_CSP);
    done(null, payload);
  });
}
