import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors as joseErrors,
  importJWK,
  importSPKI,
  jwtVerify,
  type JSONWebKeySet,
  type JWK,
  type JWTPayload,
  type JWTVerifyGetKey,
  type CryptoKey,
} from 'jose';
import { DomainError } from '#domain';

export const ASYMMETRIC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];

export interface VerifiedActor {
  sub: string;
  scopes: string[];
  claims: JWTPayload;
}

export interface TokenVerifierOptions {
  issuer: string;
  audience: string;
  algorithms: string[];
  clockToleranceSeconds: number;
  key: { jwksUrl: string } | { publicKeyFile: string } | { jwk: JWK };
  /** Most verified tokens kept (least recently used dropped first). */
  cacheSize?: number;
  /** Milliseconds since the epoch; tests move it. */
  now?: () => number;
}

/**
 * Verified claims by SHA-256 of the token, least recently used first out (Map keeps insertion
 * order; a hit re-inserts). Keyed by a hash so the cache holds no bearer secrets, only digests.
 */
class ClaimCache {
  private readonly entries = new Map<string, { actor: VerifiedActor; until: number }>();
  constructor(private readonly max: number) {}

  get(key: string, nowSeconds: number): { actor: VerifiedActor; until: number } | undefined {
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    this.entries.delete(key);
    // Refused from the cache at exp exactly: expiry is never extended by having been cached.
    if (hit.until <= nowSeconds) return undefined;
    this.entries.set(key, hit);
    return hit;
  }

  set(key: string, actor: VerifiedActor, until: number): void {
    this.entries.delete(key);
    this.entries.set(key, { actor, until });
    if (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!);
  }

  get size(): number {
    return this.entries.size;
  }
}

const cacheKeyOf = (token: string): string => createHash('sha256').update(token).digest('base64url');

export class UnauthorizedError extends DomainError {
  constructor(message: string, code = 'UNAUTHORIZED') {
    super(code, 'unauthorized', message);
  }
}

/**
 * Scopes as granted. Unknown ones (an IdP's `openid`, `profile`, …) are kept but never cover
 * anything: a route or the decider asks for a known scope, matched exactly or by qualifier.
 */
function scopesOf(payload: JWTPayload): string[] {
  const scope = payload.scope ?? payload.scp;
  if (typeof scope === 'string') return scope.split(' ').filter(Boolean);
  if (Array.isArray(scope)) return scope.filter((s): s is string => typeof s === 'string');
  return [];
}

/** Longest `sub` accepted: it is recorded as the actor of every event, so it stays a short printable id. */
export const MAX_SUBJECT_LENGTH = 256;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;

/** The actor's identity: a non-empty printable string, or the token is refused. */
function subjectOf(payload: JWTPayload): string {
  const sub: unknown = payload.sub;
  if (typeof sub !== 'string') throw new UnauthorizedError("token claim 'sub' must be a string", 'TOKEN_INVALID');
  if (sub.trim() === '') throw new UnauthorizedError("token claim 'sub' must not be empty", 'TOKEN_INVALID');
  if (sub.length > MAX_SUBJECT_LENGTH || CONTROL_CHARACTERS.test(sub)) {
    throw new UnauthorizedError(`token claim 'sub' must be at most ${MAX_SUBJECT_LENGTH} printable characters`, 'TOKEN_INVALID');
  }
  return sub;
}

/** A token issued in the future (beyond the clock leeway) was minted by a wrong clock or a forger. */
function checkIssuedAt(payload: JWTPayload, now: number, leewaySeconds: number): void {
  if (payload.iat === undefined) return;
  if (typeof payload.iat !== 'number' || !Number.isFinite(payload.iat)) {
    throw new UnauthorizedError("token claim 'iat' must be a number", 'TOKEN_INVALID');
  }
  if (payload.iat > now + leewaySeconds) {
    throw new UnauthorizedError("token claim 'iat' is in the future (beyond the clock leeway)", 'TOKEN_INVALID');
  }
}

/** Loads a PEM (SPKI) public key, a single JWK, or a JWKS from a file. */
async function keyFromFile(file: string, algorithms: string[]): Promise<CryptoKey | JWTVerifyGetKey> {
  const text = readFileSync(file, 'utf8').trim();
  if (text.startsWith('-----BEGIN')) {
    if (algorithms.length !== 1) {
      throw new Error(`JWT_PUBLIC_KEY_FILE is PEM: set JWT_ALGORITHMS to exactly the key's algorithm (got ${algorithms.join(',')})`);
    }
    return importSPKI(text, algorithms[0]);
  }
  const json = JSON.parse(text) as JWK | JSONWebKeySet;
  if ('keys' in json) return createLocalJWKSet(json);
  return createLocalJWKSet({ keys: [json] });
}

/**
 * Verifies bearer tokens with jose: signature against the configured keys, issuer, audience,
 * expiry (with a small tolerance) and an algorithm allow-list of asymmetric algorithms only.
 * Verified tokens are cached until they expire, so a hot read path does not re-verify.
 */
export class TokenVerifier {
  private readonly cache: ClaimCache;
  private readonly now: () => number;
  private constructor(
    private readonly options: TokenVerifierOptions,
    private readonly key: CryptoKey | JWTVerifyGetKey,
  ) {
    this.cache = new ClaimCache(options.cacheSize ?? 10_000);
    this.now = options.now ?? Date.now;
  }

  /** Number of verified tokens held (for tests and metrics). */
  get cachedTokens(): number {
    return this.cache.size;
  }

  static async create(options: TokenVerifierOptions): Promise<TokenVerifier> {
    const bad = options.algorithms.filter((a) => !ASYMMETRIC_ALGORITHMS.includes(a));
    if (bad.length) throw new Error(`JWT_ALGORITHMS may list asymmetric algorithms only; refused: ${bad.join(', ')}`);
    let key: CryptoKey | JWTVerifyGetKey;
    if ('jwksUrl' in options.key) key = createRemoteJWKSet(new URL(options.key.jwksUrl));
    else if ('publicKeyFile' in options.key) key = await keyFromFile(options.key.publicKeyFile, options.algorithms);
    else key = (await importJWK(options.key.jwk, options.key.jwk.alg ?? 'EdDSA')) as CryptoKey;
    return new TokenVerifier(options, key);
  }

  /**
   * The claims of a token verified earlier and not yet expired, without verifying anything now, and
   * until when (epoch seconds) they may be used: exp, or sooner when the key may have rotated.
   */
  cachedActor(token: string): { actor: VerifiedActor; until: number } | undefined {
    return this.cache.get(cacheKeyOf(token), this.now() / 1000);
  }

  /** Milliseconds since the epoch, from the verifier's clock. */
  nowMs(): number {
    return this.now();
  }

  async verify(token: string): Promise<VerifiedActor> {
    const nowMs = this.now();
    const now = nowMs / 1000;
    // Each distinct token pays the signature check once; later requests cost one SHA-256.
    const cacheKey = cacheKeyOf(token);
    const cached = this.cache.get(cacheKey, now);
    if (cached) return cached.actor;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.key as JWTVerifyGetKey, {
        issuer: this.options.issuer,
        audience: this.options.audience,
        algorithms: this.options.algorithms,
        clockTolerance: this.options.clockToleranceSeconds,
        requiredClaims: ['sub', 'exp'],
        currentDate: new Date(nowMs),
      }));
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw new UnauthorizedError('token expired', 'TOKEN_EXPIRED');
      if (err instanceof joseErrors.JWTClaimValidationFailed) throw new UnauthorizedError(`token claim '${err.claim}' is invalid: ${err.reason}`, 'TOKEN_INVALID');
      if (err instanceof joseErrors.JOSEAlgNotAllowed) throw new UnauthorizedError('token algorithm is not allowed', 'TOKEN_INVALID');
      throw new UnauthorizedError('token signature or format is invalid', 'TOKEN_INVALID');
    }
    const actor = { sub: subjectOf(payload), scopes: scopesOf(payload), claims: payload };
    checkIssuedAt(payload, now, this.options.clockToleranceSeconds);
    // Kept until exp (not exp + leeway), and at most 5 minutes so a rotated-out key stops working soon.
    this.cache.set(cacheKey, actor, Math.min(Number(payload.exp), now + 300));
    return actor;
  }
}
