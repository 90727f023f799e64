import { parseArgs } from 'node:util';
import { ensureDevSigningKey, signDevToken } from '../../../../libs/auth/src/index.js';
import { ConfigError, validateConfig } from '../../../../libs/config/src/index.js';

/** Prints a token signed by the development key in DATA_DIR (the same key the server verifies with). */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sub: { type: 'string' },
      scope: { type: 'string', default: 'registry:read' },
      ttl: { type: 'string', default: '8h' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help || !values.sub) {
    console.error('usage: npm run token -- --sub <subject> [--scope "registry:read registry:write ..."] [--ttl 8h|30m|3600]');
    process.exit(values.help ? 0 : 2);
  }
  const config = validateConfig(process.env);
  if (config.NODE_ENV === 'production') {
    console.error('refused: the development signing key is not used when NODE_ENV=production');
    process.exit(2);
  }
  if (config.JWKS_URL || config.JWT_PUBLIC_KEY_FILE) {
    console.error('note: the server is configured with JWKS_URL/JWT_PUBLIC_KEY_FILE and will not accept dev tokens');
  }
  const m = /^(\d+)([smhd]?)$/.exec(values.ttl!);
  if (!m) {
    console.error(`--ttl '${values.ttl}' is not a duration like 30m, 8h or 3600`);
    process.exit(2);
  }
  const ttlSeconds = Number(m[1]) * ({ '': 1, s: 1, m: 60, h: 3600, d: 86400 } as Record<string, number>)[m[2]];
  const key = await ensureDevSigningKey(config.DATA_DIR);
  process.stdout.write(
    `${await signDevToken(key, { sub: values.sub, scope: values.scope!, ttlSeconds, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE })}\n`,
  );
}

main().catch((err) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
