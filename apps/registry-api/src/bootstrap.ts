import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { AppModule } from './app.module.js';
import type { AppConfig } from './config.js';
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
  const adapter = new FastifyAdapter({ bodyLimit: config.BODY_LIMIT_BYTES, trustProxy: true, routerOptions: { maxParamLength: 4096 } });
  const levels = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'] as const;
  const logger = options.logger ?? levels.slice(0, levels.indexOf(config.LOG_LEVEL) + 1);
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, options), adapter, { logger, abortOnError: false });
  app.useGlobalPipes(validationPipe());
  app.enableShutdownHooks();
  installResolveFastPath(app.getHttpAdapter().getInstance(), app.get(ResolveHandler), app.get(TokenVerifier));
  const doc = new DocumentBuilder()
    .setTitle('model-ledger')
    .setDescription('Event-sourced governance and audit for ML model registries. Errors are RFC 9457 application/problem+json with a stable `code`.')
    .setVersion('0.1.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
    .build();
  SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app, doc), { jsonDocumentUrl: 'docs-json' });
  return app;
}
