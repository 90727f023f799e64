import { AsyncLocalStorage } from 'node:async_hooks';
import { createRequire } from 'node:module';
import type { LoggerService } from '@nestjs/common';
import { trace } from '@opentelemetry/api';
import { pino, type DestinationStream, type Level, type Logger, type LoggerOptions } from 'pino';

export const REDACTED = '[REDACTED]';

/**
 * Approval-link tokens are bearer credentials carried in the path (`/approve/{token}`): every
 * URL that reaches a log line or a span attribute goes through this first.
 */
export function redactUrl(url: string): string {
  return url.replace(/(\/approve\/)(?!:token\b)[^/?#\s"',]+/g, `$1${REDACTED}`);
}

/** What every log line written while serving a request carries (set by the request hooks). */
export interface RequestLogContext {
  reqId: string;
  actor?: () => string | undefined;
}
export const requestLogContext = new AsyncLocalStorage<RequestLogContext>();

export type NestLevel = 'fatal' | 'error' | 'warn' | 'log' | 'debug' | 'verbose';
const PINO_LEVEL: Record<NestLevel, Level> = { fatal: 'fatal', error: 'error', warn: 'warn', log: 'info', debug: 'debug', verbose: 'trace' };

export interface LoggerSettings {
  NODE_ENV: string;
  LOG_LEVEL: NestLevel;
  LOG_FORMAT: 'auto' | 'json' | 'pretty';
}

function prettyAvailable(): boolean {
  try {
    createRequire(import.meta.url).resolve('pino-pretty');
    return true;
  } catch {
    return false; // production image: dev dependencies are not installed
  }
}

/**
 * One JSON object per line (pino), with `trace_id`/`span_id` of the active span, the request id
 * and the actor when written while serving a request. `LOG_FORMAT=auto` prints human-readable
 * lines only in development on a terminal. Authorization headers and approval-link tokens are
 * redacted, whatever logs them.
 */
export function createLogger(settings: LoggerSettings, options: { level?: Level | 'silent'; destination?: DestinationStream } = {}): Logger {
  const pretty =
    !options.destination &&
    (settings.LOG_FORMAT === 'pretty' || (settings.LOG_FORMAT === 'auto' && settings.NODE_ENV === 'development' && process.stdout.isTTY === true)) &&
    prettyAvailable();
  const config: LoggerOptions = {
    level: options.level ?? PINO_LEVEL[settings.LOG_LEVEL],
    base: { service: process.env.OTEL_SERVICE_NAME ?? 'model-ledger' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'headers.authorization', 'headers.cookie', 'authorization', 'res.headers["set-cookie"]'],
      censor: REDACTED,
    },
    mixin() {
      const fields: Record<string, string> = {};
      const span = trace.getActiveSpan()?.spanContext();
      if (span && trace.isSpanContextValid(span)) {
        fields.trace_id = span.traceId;
        fields.span_id = span.spanId;
      }
      const req = requestLogContext.getStore();
      if (req) {
        fields.req_id = req.reqId;
        const actor = req.actor?.();
        if (actor) fields.actor = actor;
      }
      return fields;
    },
    hooks: {
      // Messages built from URLs (framework errors such as "Cannot GET /approve/…") are scrubbed too.
      logMethod(args, method) {
        method.apply(
          this,
          args.map((a) => (typeof a === 'string' ? redactUrl(a) : a)) as Parameters<typeof method>,
        );
      },
    },
  };
  if (pretty) return pino({ ...config, transport: {
        target: 'pino-pretty',
        options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'service,context', messageFormat: '{if context}[{context}] {end}{msg}' },
      }, });
  return options.destination ? pino(config, options.destination) : pino(config);
}

/** Nest's LoggerService on top of pino: `new Logger('Context')` calls end up as JSON lines. */
export class PinoNestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  private write(level: Level, message: unknown, params: unknown[]): void {
    const context = typeof params[params.length - 1] === 'string' ? (params.pop() as string) : undefined;
    const fields: Record<string, unknown> = context ? { context } : {};
    if (level === 'error' && typeof params[0] === 'string' && params[0].includes('\n')) fields.stack = redactUrl(params.shift() as string);
    if (message instanceof Error) this.logger[level]({ ...fields, err: message }, message.message);
    else if (typeof message === 'object' && message !== null) this.logger[level]({ ...fields, ...message });
    else this.logger[level](fields, String(message));
  }

  log(message: unknown, ...params: unknown[]) {
    this.write('info', message, params);
  }
  error(message: unknown, ...params: unknown[]) {
    this.write('error', message, params);
  }
  warn(message: unknown, ...params: unknown[]) {
    this.write('warn', message, params);
  }
  debug(message: unknown, ...params: unknown[]) {
    this.write('debug', message, params);
  }
  verbose(message: unknown, ...params: unknown[]) {
    this.write('trace', message, params);
  }
  fatal(message: unknown, ...params: unknown[]) {
    this.write('fatal', message, params);
  }
}
