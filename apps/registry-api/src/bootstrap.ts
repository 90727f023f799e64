import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module.js';
import type { AppConfig } from '#config';
import { clientErrorHandler, frameworkErrors } from './http/problem.js';
import { registerMethodNotAllowed } from './http/method-not-allowed.js';
import { setupOpenApi } from './http/openapi.js';
import { registerBodyParsers } from './http/request-body.js';
import { registerRequestGuards, registerUnknownQueryGuard } from './http/request-guards.js';
import { registerSecurityHeaders } from './http/security-headers.js';
import { validationPipe } from './http/validation.js';
import type { Clock, IdGenerator } from './infrastructure/tokens.js';
import { TokenVerifier } from '#auth';
import { ResolveEdge } from './use-cases/resolve/resolve.edge.js';
import { edgeServerFactory } from './http/edge-server.js';
import { LedgerMetrics } from './use-cases/metrics/ledger-metrics.js';
import { ResolveHandler } from './use-cases/resolve/resolve.handler.js';
import { installRequestTelemetry, requestId } from './http/request-telemetry.js';
import { createLogger, PinoNestLogger } from '#observability';
import type { DestinationStream } from 'pino';
import type { IncomingMessage } from 'node:http';
import { LogController } from 'fastify';

export interface CreateAppOptions {
  clock?: Clock;
  ids?: IdGenerator;
  /** Nest-style levels kept for the tests: false = silent, else the most verbose level listed. */
  logger?: false | ('fatal' | 'error' | 'warn' | 'log' | 'debug' | 'verbose')[];
  /** Where JSON log lines go (default stdout). */
  logDestination?: DestinationStream;
}

const NEST_LEVELS = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'] as const;
const TO_PINO = { fatal: 'fatal', error: 'error', warn: 'warn', log: 'info', debug: 'debug', verbose: 'trace' } as const;

/** Builds the whole HTTP app; main.ts, the e2e tests and the benchmark all start it this way. */
export async function createApp(config: AppConfig, options: CreateAppOptions = {}): Promise<NestFastifyApplication> {
  // maxParamLength: approval-link tokens (compact JWS) travel in the path of /approve/{token}.
  const level =
    options.logger === false
      ? 'silent'
      : options.logger
        ? TO_PINO[NEST_LEVELS[Math.max(...options.logger.map((l) => NEST_LEVELS.indexOf(l)))]]
        : undefined;
  let edge: ResolveEdge | undefined;
  const log = createLogger(config, { ...(level ? { level } : {}), ...(options.logDestination ? { destination: options.logDestination } : {}) });
  // frameworkErrors / clientErrorHandler: Fastify's and Node's own errors are problem+json too.
  const adapter = new FastifyAdapter({
    bodyLimit: config.BODY_LIMIT_BYTES,
    trustProxy: true,
    routerOptions: { maxParamLength: 4096 },
    frameworkErrors,
    clientErrorHandler,
    loggerInstance: log,
    // The request hooks write one line per request themselves (with redaction and trace ids).
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'req_id' }),
    requestIdHeader: false,
    genReqId: (req: IncomingMessage) => requestId(req),
    // Resolve index hits are answered by the HTTP server itself, before Fastify (resolve.edge.ts).
    serverFactory: edgeServerFactory(() => edge),
  });
  // First onRequest hook: requests the guards below refuse are traced and logged too.
  installRequestTelemetry(adapter.getInstance(), log);
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, options), adapter, {
    logger: new PinoNestLogger(log.child({}, { level: log.level })),
    abortOnError: false,
  });
  const fastify = app.getHttpAdapter().getInstance();
  registerSecurityHeaders(fastify);
  registerMethodNotAllowed(fastify);
  registerRequestGuards(fastify);
  registerBodyParsers(app, config.BODY_LIMIT_BYTES);
  app.useGlobalPipes(validationPipe());
  app.enableShutdownHooks();
  registerUnknownQueryGuard(fastify, setupOpenApi(app));
  const resolveEdge = new ResolveEdge(app.get(ResolveHandler), app.get(TokenVerifier), log, config.ACCESS_LOG_INDEX_HITS, config.ACCESS_LOG_SUMMARY_SECONDS * 1000);
  edge = resolveEdge;
  app.get(LedgerMetrics).observeResolveEdge(() => resolveEdge.served);
  fastify.addHook('onClose', (_instance, done) => {
    edge = undefined;
    resolveEdge.close();
    done();
  });
  return app;
}
