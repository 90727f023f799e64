import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { exportJWK, generateKeyPair, type JWK } from 'jose';

/** The Ed25519 key the server signs audit checkpoints with. */
export interface AuditKey {
  kid: string;
  privateJwk: JWK;
  publicJwk: JWK;
}

export const DEV_AUDIT_KEY_FILE = 'audit-signing-key.json';

function publicPart(jwk: JWK): JWK {
  const { d: _d, ...pub } = jwk;
  return pub;
}

/**
 * Loads the audit key from `file`: either `{kid, privateJwk, publicJwk}` (what is generated
 * here) or a bare private OKP/Ed25519 JWK with a `kid`. With `create`, a missing file is created
 * with a new key (the development default under DATA_DIR).
 */
export async function loadAuditKey(file: string, options: { create?: boolean } = {}): Promise<AuditKey> {
  if (!existsSync(file)) {
    if (!options.create) throw new Error(`audit signing key file ${file} does not exist`);
    const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
    const kid = `audit-${Date.now().toString(36)}`;
    const key: AuditKey = {
      kid,
      privateJwk: { ...(await exportJWK(privateKey)), kid, alg: 'EdDSA', use: 'sig' },
      publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' },
    };
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(key, null, 2), { mode: 0o600 });
    return key;
  }
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<AuditKey> & JWK;
  const privateJwk = (parsed.privateJwk ?? parsed) as JWK;
  const kid = parsed.kid ?? privateJwk.kid;
  if (privateJwk.kty !== 'OKP' || privateJwk.crv !== 'Ed25519' || !privateJwk.d || !kid) {
    throw new Error(`audit signing key file ${file} must hold an Ed25519 private JWK (kty OKP, crv Ed25519, d) with a kid`);
  }
  const publicJwk = parsed.publicJwk ?? publicPart(privateJwk);
  return { kid, privateJwk: { ...privateJwk, kid, alg: 'EdDSA' }, publicJwk: { ...publicPart(publicJwk), kid, alg: 'EdDSA', use: 'sig' } };
}

export function devAuditKeyFile(dataDir: string): string {
  return join(dataDir, DEV_AUDIT_KEY_FILE);
}
