import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module.js';
import type { AppConfig } from './config.js';
import { clientErrorHandler, frameworkErrors } from './http/problem.js';
import { registerMethodNotAllowed } from './http/method-not-allowed.js';
import { setupOpenApi } from './http/openapi.js';
import { registerBodyParsers } from './http/request-body.js';
import { registerRequestGuards, registerUnknownQueryGuard } from './http/request-guards.js';
import { registerSecurityHeaders } from './http/security-headers.js';
import { validationPipe } from './http/validation.js';
import type { Clock, IdGenerator } from './infrastructure/tokens.js';
import { TokenVerifier } from '../../../libs/auth/src/index.js';
import { installResolveFastPath } from './use-cases/resolve/resolve.fast-path.js';
import { ResolveHandler } from './use-cases/resolve/resolve.handler.js';

export interface CreateAppOptions {
  clock?: Clock;
  ids?: IdGenerator;
  logger?: false | ('fatal' | 'error' | 'warn' | 'log' | 'debug' | 'verbose')[];
}

/** Builds the whole HTTP app; main.ts, the e2e tests and the benchmark all start it this way. */
export async function createApp(config: AppConfig, options: CreateAppOptions = {}): Promise<NestFastifyApplication> {
  // maxParamLength: approval-link tokens (compact JWS) travel in the path of /approve/{token}.
  // frameworkErrors / clientErrorHandler: Fastify's and Node's own errors are problem+json too.
  const adapter = new FastifyAdapter({
    bodyLimit: config.BODY_LIMIT_BYTES,
    trustProxy: true,
    routerOptions: { maxParamLength: 4096 },
    frameworkErrors,
    clientErrorHandler,
  });
  const levels = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'] as const;
  const logger = options.logger ?? levels.slice(0, levels.indexOf(config.LOG_LEVEL) + 1);
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, options), adapter, { logger, abortOnError: false });
  const fastify = app.getHttpAdapter().getInstance();
  registerSecurityHeaders(fastify);
  registerMethodNotAllowed(fastify);
  registerRequestGuards(fastify);
  registerBodyParsers(app, config.BODY_LIMIT_BYTES);
  app.useGlobalPipes(validationPipe());
  app.enableShutdownHooks();
  registerUnknownQueryGuard(fastify, setupOpenApi(app));
  // After the request guards: it answers resolve-index hits (200/304) and leaves everything else to Nest.
  installResolveFastPath(fastify, app.get(ResolveHandler), app.get(TokenVerifier));
  return app;
}
