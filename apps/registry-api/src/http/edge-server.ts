import { createServer, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import type { FastifyServerOptions } from 'fastify';

/** Answers a request in full and returns true, or returns false having touched neither argument. */
export type EdgeHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

/**
 * Fastify's `serverFactory`: the HTTP server offers each request to `edge()` first and gives
 * Fastify only what it declines. Hot answers that need none of Fastify's routing, hooks or Nest's
 * pipeline (resolve index hits, resolve.edge.ts) skip them. The server is set up as Fastify sets
 * up its own (keep-alive, request and connection timeouts, requests per socket); Fastify still
 * attaches its clientError handler and listens on it.
 */
export function edgeServerFactory(edge: () => { serve: EdgeHandler } | undefined) {
  return (handler: (req: IncomingMessage, res: ServerResponse) => void, options: FastifyServerOptions): Server => {
    const server = createServer((options as { http?: ServerOptions | null }).http ?? {}, (req, res) => {
      if (edge()?.serve(req, res) !== true) handler(req, res);
    });
    server.keepAliveTimeout = options.keepAliveTimeout ?? 72_000;
    server.requestTimeout = options.requestTimeout ?? 0;
    server.setTimeout(options.connectionTimeout ?? 0);
    if (options.maxRequestsPerSocket) server.maxRequestsPerSocket = options.maxRequestsPerSocket;
    return server;
  };
}
