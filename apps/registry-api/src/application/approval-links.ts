import { Inject, Injectable } from '@nestjs/common';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { errors as joseErrors, exportJWK, generateKeyPair, importJWK, jwtVerify, SignJWT, type CryptoKey, type JWK } from 'jose';
import { Mutex } from '../../../../libs/persistence/src/index.js';
import type { EventStore, RecordedEvent } from '../../../../libs/event-store/src/index.js';
import type { AppConfig } from '../config.js';
import { APP_CONFIG, CLOCK, EVENT_STORE, ID_GENERATOR, type Clock, type IdGenerator } from '../infrastructure/tokens.js';

export const LINK_ISSUER = 'model-ledger/approval-link';
export const LINK_AUDIENCE = 'model-ledger/approve';
export const LINK_TYP = 'approval-link+jwt';
const DEV_KEY_FILE = 'approval-link-key.json';

export interface LinkClaims {
  sub: string;
  model: string;
  version: string;
  jti: string;
  exp: number;
  purpose: 'approval';
}

export interface IssuedLinkData {
  jti: string;
  model: string;
  version: string;
  approver: string;
  expiresAt: string;
  purpose: 'approval';
}
export interface UsedLinkData {
  jti: string;
  model: string;
  version: string;
  approver: string;
  decision: 'approve' | 'reject';
  position: number;
}

/** Why a link is refused before anything else is looked at. */
export class LinkRefused extends Error {
  constructor(
    readonly reason: 'expired' | 'invalid' | 'unknown',
    message: string,
  ) {
    super(message);
  }
}

export const linkStream = (jti: string) => `approval-link-${jti}`;

/** Loads the dedicated Ed25519 link key (never the user-token key): from a file in production, generated under DATA_DIR otherwise. */
export async function loadLinkKey(config: AppConfig): Promise<{ privateKey: CryptoKey; publicKey: CryptoKey; kid: string }> {
  let jwk: JWK;
  if (config.APPROVAL_LINK_KEY_FILE) {
    jwk = JSON.parse(readFileSync(config.APPROVAL_LINK_KEY_FILE, 'utf8')) as JWK;
  } else if (config.NODE_ENV === 'production') {
    throw new Error('NODE_ENV=production needs APPROVAL_LINK_KEY_FILE (a private Ed25519 JWK) to sign approval links');
  } else {
    const path = join(config.DATA_DIR, DEV_KEY_FILE);
    if (existsSync(path)) jwk = JSON.parse(readFileSync(path, 'utf8')) as JWK;
    else {
      const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
      jwk = { ...(await exportJWK(privateKey)), kid: `link-${Date.now().toString(36)}`, alg: 'EdDSA' };
      mkdirSync(config.DATA_DIR, { recursive: true });
      writeFileSync(path, JSON.stringify(jwk, null, 2), { mode: 0o600 });
    }
  }
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || !jwk.d) throw new Error('the approval-link key must be a private Ed25519 JWK (kty OKP, crv Ed25519, with d)');
  const { d: _d, ...pub } = jwk;
  return {
    privateKey: (await importJWK(jwk, 'EdDSA')) as CryptoKey,
    publicKey: (await importJWK(pub, 'EdDSA')) as CryptoKey,
    kid: jwk.kid ?? 'approval-link',
  };
}

/**
 * Approval links: compact JWS bound to one approver, one model version and the purpose
 * "approval". Issuing and using a link are events in the link's own stream, so single use holds
 * across restarts and replicas (the use is appended at the revision after the issue).
 */
@Injectable()
export class ApprovalLinks {
  private key?: Promise<Awaited<ReturnType<typeof loadLinkKey>>>;
  private readonly locks = new Map<string, { mutex: Mutex; users: number }>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(ID_GENERATOR) private readonly ids: IdGenerator,
  ) {}

  private keys() {
    this.key ??= loadLinkKey(this.config);
    return this.key;
  }

  async sign(claims: { approver: string; model: string; version: string; jti: string; expiresAt: Date }): Promise<string> {
    const { privateKey, kid } = await this.keys();
    return new SignJWT({ model: claims.model, version: claims.version, purpose: 'approval' })
      .setProtectedHeader({ alg: 'EdDSA', kid, typ: LINK_TYP })
      .setSubject(claims.approver)
      .setIssuer(LINK_ISSUER)
      .setAudience(LINK_AUDIENCE)
      .setJti(claims.jti)
      .setIssuedAt(this.clock.now())
      .setExpirationTime(claims.expiresAt)
      .sign(privateKey);
  }

  async verify(token: string): Promise<LinkClaims> {
    const { publicKey } = await this.keys();
    try {
      const { payload } = await jwtVerify(token, publicKey, {
        issuer: LINK_ISSUER,
        audience: LINK_AUDIENCE,
        algorithms: ['EdDSA'],
        typ: LINK_TYP,
        currentDate: this.clock.now(),
        requiredClaims: ['sub', 'exp', 'jti'],
      });
      if (payload.purpose !== 'approval' || typeof payload.model !== 'string' || typeof payload.version !== 'string') {
        throw new LinkRefused('invalid', 'this link is not an approval link');
      }
      return payload as unknown as LinkClaims;
    } catch (err) {
      if (err instanceof LinkRefused) throw err;
      if (err instanceof joseErrors.JWTExpired) throw new LinkRefused('expired', 'this approval link has expired');
      throw new LinkRefused('invalid', 'this approval link is not valid: it was altered, or not signed by this server');
    }
  }

  async issue(model: string, version: string, approver: string, ttlHours: number, meta: RecordedEvent['metadata']) {
    const jti = this.ids.next();
    const expiresAt = new Date(this.clock.now().getTime() + ttlHours * 3600_000);
    expiresAt.setMilliseconds(0);
    const token = await this.sign({ approver, model, version, jti, expiresAt });
    const data: IssuedLinkData = { jti, model, version, approver, expiresAt: expiresAt.toISOString(), purpose: 'approval' };
    await this.store.append(linkStream(jti), [{ id: this.ids.next(), type: 'ApprovalLinkIssued', schemaVersion: 1, data, metadata: meta }], {
      expectedRevision: 'no_stream',
    });
    return { token, jti, expiresAt: data.expiresAt };
  }

  /** The recorded history of a link: its issue, and its use if any. */
  async history(jti: string): Promise<{ issued?: RecordedEvent<IssuedLinkData>; used?: RecordedEvent<UsedLinkData> }> {
    const events = await this.store.readStream(linkStream(jti));
    return {
      issued: events.find((e) => e.type === 'ApprovalLinkIssued') as RecordedEvent<IssuedLinkData> | undefined,
      used: events.find((e) => e.type === 'ApprovalLinkUsed') as RecordedEvent<UsedLinkData> | undefined,
    };
  }

  async markUsed(issued: RecordedEvent<IssuedLinkData>, data: UsedLinkData, meta: RecordedEvent['metadata']): Promise<void> {
    await this.store.append(linkStream(data.jti), [{ id: this.ids.next(), type: 'ApprovalLinkUsed', schemaVersion: 1, data, metadata: meta }], {
      expectedRevision: issued.revision,
    });
  }

  /** One decision per link at a time in this process; across processes the append revision decides. */
  async exclusive<T>(jti: string, fn: () => Promise<T>): Promise<T> {
    let entry = this.locks.get(jti);
    if (!entry) this.locks.set(jti, (entry = { mutex: new Mutex(), users: 0 }));
    entry.users++;
    try {
      return await entry.mutex.run(fn);
    } finally {
      if (--entry.users === 0) this.locks.delete(jti);
    }
  }
}
