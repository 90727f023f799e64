import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CliError, EXIT } from './exit-codes.ts';

/** The scopes the server knows (libs/domain/src/scopes.ts; a unit test keeps the two equal). */
export const KNOWN_SCOPES = ['registry:read', 'registry:write', 'gates:write', 'approvals:write', 'registry:promote', 'audit:read'] as const;
const QUALIFIER = /^[a-z0-9*][a-z0-9._*-]{0,127}$/;

/** Refuses unknown or misspelled scopes (`registry:raed`), naming the known ones. */
export function checkScopes(scope: string): string[] {
  const scopes = scope.split(/\s+/).filter(Boolean);
  if (scopes.length === 0) throw new CliError('--scope is empty', EXIT.usage);
  for (const s of scopes) {
    const base = KNOWN_SCOPES.find((k) => s === k || s.startsWith(`${k}:`));
    if (!base) throw new CliError(`unknown scope '${s}'; known scopes: ${KNOWN_SCOPES.join(', ')} (optionally qualified, e.g. registry:promote:fraud-*)`, EXIT.usage);
    if (s !== base && !QUALIFIER.test(s.slice(base.length + 1))) {
      throw new CliError(`scope '${s}': the model-name pattern after '${base}:' must match ${QUALIFIER.source}`, EXIT.usage);
    }
  }
  return scopes;
}

export function parseTtl(ttl: string): number {
  const m = /^(\d+)([smhd]?)$/.exec(ttl);
  if (!m || Number(m[1]) === 0) throw new CliError(`--ttl '${ttl}' is not a duration like 30m, 8h or 3600`, EXIT.usage);
  return Number(m[1]) * ({ '': 1, s: 1, m: 60, h: 3600, d: 86400 } as Record<string, number>)[m[2]];
}

interface DevKeyFile {
  kid: string;
  privateJwk: Record<string, unknown>;
  publicJwk: Record<string, unknown>;
}

/**
 * Mints a token with the server's development key (DATA_DIR/dev-signing-key.json, the file the
 * server creates and verifies with), reading the same settings as the server. Creates the key
 * like the server would when it does not exist yet.
 */
export async function mintDevToken(
  env: NodeJS.ProcessEnv,
  opts: { sub: string; scope: string; ttl: string },
): Promise<{ token: string; dataDir: string; keyFile: string; created: boolean; warnings: string[] }> {
  if (env.NODE_ENV === 'production') throw new CliError('refused: the development signing key is not used when NODE_ENV=production', EXIT.usage);
  const scopes = checkScopes(opts.scope);
  const ttlSeconds = parseTtl(opts.ttl);
  if (!opts.sub.trim()) throw new CliError('--sub is empty', EXIT.usage);
  const dataDir = env.DATA_DIR || './data';
  const keyFile = join(dataDir, 'dev-signing-key.json');
  const warnings: string[] = [];
  if (env.JWKS_URL || env.JWT_PUBLIC_KEY_FILE) warnings.push('the server is configured with JWKS_URL/JWT_PUBLIC_KEY_FILE and will not accept dev tokens');
  const jose = await import('jose');
  let key: DevKeyFile;
  let created = false;
  if (existsSync(keyFile)) key = JSON.parse(readFileSync(keyFile, 'utf8')) as DevKeyFile;
  else {
    const { privateKey, publicKey } = await jose.generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const kid = `dev-${Date.now().toString(36)}`;
    key = { kid, privateJwk: { ...(await jose.exportJWK(privateKey)), kid, alg: 'EdDSA' }, publicJwk: { ...(await jose.exportJWK(publicKey)), kid, alg: 'EdDSA' } };
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(keyFile, JSON.stringify(key, null, 2), { mode: 0o600 });
    created = true;
  }
  const privateKey = await jose.importJWK(key.privateJwk as never, 'EdDSA');
  const token = await new jose.SignJWT({ scope: scopes.join(' ') })
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'JWT' })
    .setSubject(opts.sub)
    .setIssuer(env.JWT_ISSUER || 'model-ledger-dev')
    .setAudience(env.JWT_AUDIENCE || 'model-ledger')
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds}s`)
    .sign(privateKey);
  return { token, dataDir: resolve(dataDir), keyFile: resolve(keyFile), created, warnings };
}
