import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK } from 'jose';

export const DEV_ISSUER = 'model-ledger-dev';
export const DEV_AUDIENCE = 'model-ledger';
const FILE = 'dev-signing-key.json';

interface DevKeyFile {
  kid: string;
  privateJwk: JWK;
  publicJwk: JWK;
}

/** The local Ed25519 key used only in development, created on first start under DATA_DIR. */
export async function ensureDevSigningKey(dataDir: string): Promise<DevKeyFile> {
  const path = join(dataDir, FILE);
  if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8')) as DevKeyFile;
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const kid = `dev-${Date.now().toString(36)}`;
  const file: DevKeyFile = {
    kid,
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg: 'EdDSA' },
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA' },
  };
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(path, JSON.stringify(file, null, 2), { mode: 0o600 });
  return file;
}

export async function signDevToken(
  key: DevKeyFile,
  claims: { sub: string; scope: string; ttlSeconds?: number; issuer?: string; audience?: string },
): Promise<string> {
  const privateKey = await importJWK(key.privateJwk, 'EdDSA');
  return new SignJWT({ scope: claims.scope })
    .setProtectedHeader({ alg: 'EdDSA', kid: key.kid, typ: 'JWT' })
    .setSubject(claims.sub)
    .setIssuer(claims.issuer ?? DEV_ISSUER)
    .setAudience(claims.audience ?? DEV_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${claims.ttlSeconds ?? 8 * 3600}s`)
    .sign(privateKey);
}
