import { plainToInstance, Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUrl, Max, Min, ValidateIf, validateSync } from 'class-validator';

const list = ({ value }: { value: unknown }) =>
  typeof value === 'string' ? value.split(',').map((s) => s.trim()).filter(Boolean) : value;

/** Every setting the server reads, validated once at start: a bad value stops it with a clear message. */
export class AppConfig {
  @IsIn(['development', 'production', 'test'])
  NODE_ENV: 'development' | 'production' | 'test' = 'development';

  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 8080;

  @IsString()
  HOST = '0.0.0.0';

  @IsIn(['sqlite', 'postgres'])
  EVENT_STORE: 'sqlite' | 'postgres' = 'sqlite';

  @IsString()
  DATA_DIR = './data';

  @ValidateIf((c: AppConfig) => c.EVENT_STORE === 'postgres')
  @IsString({ message: 'DATABASE_URL is required when EVENT_STORE=postgres (e.g. postgres://user:pass@127.0.0.1:5432/ledger)' })
  DATABASE_URL?: string;

  @IsString()
  JWT_ISSUER = 'model-ledger-dev';

  @IsString()
  JWT_AUDIENCE = 'model-ledger';

  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true }, { message: 'JWKS_URL must be an absolute http(s) URL' })
  JWKS_URL?: string;

  @IsOptional()
  @IsString()
  JWT_PUBLIC_KEY_FILE?: string;

  @Transform(list)
  @IsString({ each: true })
  JWT_ALGORITHMS: string[] = ['EdDSA', 'ES256', 'RS256'];

  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(0)
  @Max(300)
  JWT_CLOCK_TOLERANCE_SECONDS = 30;

  @Transform(list)
  @IsString({ each: true })
  PROTECTED_ALIASES: string[] = ['prod', 'champion'];

  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(1)
  @Max(20)
  REQUIRED_APPROVALS = 1;

  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(1024)
  @Max(64 * 1024 * 1024)
  BODY_LIMIT_BYTES = 1024 * 1024;

  /** A start-up this many events behind (or more) projects them in a worker thread; 0 = always in the serving thread. */
  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(0)
  CATCH_UP_WORKER_EVENTS = 10_000;

  /** Promotion policy (YAML or JSON); unset: approvals and protected aliases from the two settings above, no gates. */
  @IsOptional()
  @IsString()
  POLICY_FILE?: string;

  /** Recorded as the actor of the PolicyChanged event written when the loaded policy differs from the last one. */
  @IsString()
  POLICY_CHANGED_BY = 'system:startup';

  /** Private Ed25519 JWK for signing approval links; unset outside production: generated under DATA_DIR. */
  @IsOptional()
  @IsString()
  APPROVAL_LINK_KEY_FILE?: string;

  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(1)
  @Max(24 * 30)
  APPROVAL_LINK_TTL_HOURS = 72;

  /**
   * Base of the approval-link URLs (e.g. https://ledger.example.com). Required in production;
   * unset otherwise: the listen address. Request headers (Host, X-Forwarded-*) are never used.
   */
  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] }, { message: 'PUBLIC_BASE_URL must be an absolute http(s) URL' })
  PUBLIC_BASE_URL?: string;

  /** Approver directory (YAML or JSON): people, groups, which groups may approve which models. Unset: nobody receives links. */
  @IsOptional()
  @IsString()
  APPROVERS_FILE?: string;

  /** Request approval automatically when a version is ready for Production except for its approvals. */
  @IsIn(['true', 'false'])
  APPROVAL_REQUESTS_AUTO: 'true' | 'false' = 'true';

  /** Remind the approvers who have not decided after this many hours, and again every as many (0 = never). */
  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(0)
  @Max(24 * 30)
  APPROVAL_REMINDER_HOURS = 24;

  /** SMTP server for approval emails, e.g. smtp://127.0.0.1:1025 or smtps://user:pass@mail.example.com. */
  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['smtp', 'smtps'] }, { message: 'SMTP_URL must be smtp://host:port or smtps://…' })
  SMTP_URL?: string;

  @IsString()
  MAIL_FROM = 'model-ledger <model-ledger@localhost>';

  /** Receiver of signed (Standard Webhooks) notifications. */
  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] }, { message: 'WEBHOOK_URL must be an absolute http(s) URL' })
  WEBHOOK_URL?: string;

  /** whsec_<base64 of at least 24 random bytes>; required with WEBHOOK_URL. */
  @IsOptional()
  @IsString()
  WEBHOOK_SECRET?: string;

  @IsIn(['standard', 'slack'])
  WEBHOOK_FORMAT: 'standard' | 'slack' = 'standard';

  /** Delivery attempts per notification and channel before it is dead-lettered. */
  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(1)
  @Max(50)
  NOTIFY_MAX_ATTEMPTS = 5;

  /** First retry delay; each further retry doubles it (capped at 10 minutes). */
  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(10)
  @Max(600_000)
  NOTIFY_RETRY_BASE_MS = 2000;

  /** Development delivery to DATA_DIR/outbox/approval-links.jsonl. `auto`: on when neither SMTP nor webhooks are set, outside production. */
  @IsIn(['auto', 'true', 'false'])
  NOTIFY_OUTBOX: 'auto' | 'true' | 'false' = 'auto';

  /** Ed25519 private JWK (with kid) for signing audit checkpoints; default: a key created under DATA_DIR. */
  @IsOptional()
  @IsString()
  AUDIT_SIGNING_KEY_FILE?: string;

  /** Sign a checkpoint once this many events have been appended since the last one. */
  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(1)
  @Max(10_000_000)
  AUDIT_CHECKPOINT_EVERY_EVENTS = 1000;

  /** Also sign one this often when anything was appended (0 = only by count). */
  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(0)
  @Max(24 * 60)
  AUDIT_CHECKPOINT_INTERVAL_MINUTES = 60;

  @IsIn(['fatal', 'error', 'warn', 'log', 'debug', 'verbose'])
  LOG_LEVEL: 'fatal' | 'error' | 'warn' | 'log' | 'debug' | 'verbose' = 'log';

  /** `auto`: JSON lines, except human-readable in development on a terminal. */
  @IsIn(['auto', 'json', 'pretty'])
  LOG_FORMAT: 'auto' | 'json' | 'pretty' = 'auto';

  /**
   * Access-log lines for resolve answers served from the resolve index, which serving systems poll
   * all day: `summary` writes one line per ACCESS_LOG_SUMMARY_SECONDS with the counts per caller,
   * `each` one line per request as for every other route, `off` none. The counts are in /metrics
   * whatever the choice; every other request is logged one line each.
   */
  @IsIn(['summary', 'each', 'off'])
  ACCESS_LOG_INDEX_HITS: 'summary' | 'each' | 'off' = 'summary';

  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(1)
  @Max(3600)
  ACCESS_LOG_SUMMARY_SECONDS = 60;

  /** How long a finished Idempotency-Key replays its response; older keys are purged. */
  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(1)
  @Max(24 * 30)
  IDEMPOTENCY_RETENTION_HOURS = 24;

  /** A key's claim not renewed for this long was left by a dead process and is taken over by the next retry. */
  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(1)
  @Max(600)
  IDEMPOTENCY_LEASE_SECONDS = 10;

  /** Kafka bootstrap servers (host:port, comma-separated); setting them turns the relay on. */
  @Transform(list)
  @IsString({ each: true })
  KAFKA_BROKERS: string[] = [];

  /** `auto`: the relay runs in this process when KAFKA_BROKERS is set. */
  @IsIn(['auto', 'true', 'false'])
  RELAY_ENABLED: 'auto' | 'true' | 'false' = 'auto';

  /** Checkpoint and lease name: replicas sharing it elect one publisher. */
  @IsString()
  RELAY_NAME = 'default';

  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(1)
  @Max(10_000)
  RELAY_BATCH_SIZE = 500;

  @IsString()
  KAFKA_CLIENT_ID = 'model-ledger';

  /** CloudEvents Kafka content mode: `structured` (the event JSON as the value) or `binary` (ce_* headers, data as the value). */
  @IsIn(['structured', 'binary'])
  KAFKA_CLOUDEVENTS_MODE: 'structured' | 'binary' = 'structured';

  @IsString()
  KAFKA_TOPIC_EVENTS = 'model-ledger.events';

  @IsString()
  KAFKA_TOPIC_PROMOTIONS = 'model-ledger.promotions';

  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(1)
  @Max(1000)
  KAFKA_TOPIC_PARTITIONS = 3;

  @Transform(({ value }) => Number(value))
  @IsInt()
  @Min(1)
  @Max(10)
  KAFKA_REPLICATION_FACTOR = 1;
}

export class ConfigError extends Error {}

export function validateConfig(env: Record<string, unknown>): AppConfig {
  const known = Object.keys(new AppConfig()).concat(['DATABASE_URL', 'JWKS_URL', 'JWT_PUBLIC_KEY_FILE', 'POLICY_FILE', 'APPROVAL_LINK_KEY_FILE', 'PUBLIC_BASE_URL', 'AUDIT_SIGNING_KEY_FILE', 'APPROVERS_FILE', 'SMTP_URL', 'WEBHOOK_URL', 'WEBHOOK_SECRET']);
  const picked = Object.fromEntries(Object.entries(env).filter(([k, v]) => known.includes(k) && v !== undefined && v !== ''));
  const config = plainToInstance(AppConfig, picked, { exposeDefaultValues: true });
  const errors = validateSync(config, { whitelist: true });
  if (errors.length) {
    const lines = errors.map((e) => `  ${e.property}=${JSON.stringify(e.value)}: ${Object.values(e.constraints ?? {}).join('; ')}`);
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  if (config.JWKS_URL && config.JWT_PUBLIC_KEY_FILE) {
    throw new ConfigError('invalid configuration:\n  set JWKS_URL or JWT_PUBLIC_KEY_FILE, not both');
  }
  const notify = notificationProblems(config);
  if (notify.length) throw new ConfigError(`invalid configuration:\n${notify.map((l) => `  ${l}`).join('\n')}`);
  if (config.RELAY_ENABLED === 'true' && config.KAFKA_BROKERS.length === 0) {
    throw new ConfigError('invalid configuration:\n  RELAY_ENABLED=true needs KAFKA_BROKERS (e.g. 127.0.0.1:9092)');
  }
  return config;
}

/** Links are built from PUBLIC_BASE_URL only, and the development outbox never runs in production. */
function notificationProblems(config: AppConfig): string[] {
  const problems: string[] = [];
  const production = config.NODE_ENV === 'production';
  if (production && !config.PUBLIC_BASE_URL) problems.push('NODE_ENV=production needs PUBLIC_BASE_URL (e.g. https://ledger.example.com): approval links are built from it');
  if (production && config.NOTIFY_OUTBOX === 'true') problems.push('NOTIFY_OUTBOX=true is for development; in production links go by SMTP_URL or WEBHOOK_URL');
  if (config.WEBHOOK_URL && !config.WEBHOOK_SECRET) problems.push('WEBHOOK_URL needs WEBHOOK_SECRET (whsec_ followed by base64 of at least 24 random bytes)');
  if (config.WEBHOOK_SECRET && !/^whsec_[A-Za-z0-9+/]{32,}={0,2}$/.test(config.WEBHOOK_SECRET)) problems.push('WEBHOOK_SECRET must be whsec_ followed by base64 of at least 24 random bytes');
  return problems;
}

/** Where approval links go: the configured channels, or the development outbox. */
export function outboxEnabled(config: AppConfig): boolean {
  if (config.NODE_ENV === 'production') return false;
  if (config.NOTIFY_OUTBOX !== 'auto') return config.NOTIFY_OUTBOX === 'true';
  return !config.SMTP_URL && !config.WEBHOOK_URL;
}
