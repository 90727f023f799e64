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
}

export class ConfigError extends Error {}

export function validateConfig(env: Record<string, unknown>): AppConfig {
  const known = Object.keys(new AppConfig()).concat(['DATABASE_URL', 'JWKS_URL', 'JWT_PUBLIC_KEY_FILE', 'AUDIT_SIGNING_KEY_FILE']);
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
  return config;
}
