import { Inject, Injectable, Optional, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { errors as joseErrors, exportJWK, generateKeyPair, importJWK, jwtVerify, SignJWT, type CryptoKey, type JWK } from 'jose';
import { approvalLinkStream, decideUseLink, evolveApprovalLink, initialApprovalLinkState, type ApprovalEventDataMap } from '#domain';
import { KeyedMutex } from './keyed-mutex.js';
import { appendDecision, type EventStore, type RecordedEvent } from '#event-store';
import type { AppConfig } from '#config';
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

export type IssuedLinkData = ApprovalEventDataMap['ApprovalLinkIssued'];
export type UsedLinkData = ApprovalEventDataMap['ApprovalLinkUsed'];

/** Why a link is refused before anything else is looked at. */
export class LinkRefused extends Error {
  constructor(
    readonly reason: 'expired' | 'invalid' | 'unknown',
    message: string,
  ) {
    super(message);
  }
}

export const linkStream = approvalLinkStream;

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
export class ApprovalLinks implements OnModuleInit {
  private key?: Promise<Awaited<ReturnType<typeof loadLinkKey>>>;
  private readonly locks = new KeyedMutex();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(ID_GENERATOR) private readonly ids: IdGenerator,
    @Optional() private readonly adapterHost?: HttpAdapterHost,
  ) {}

  /** Loaded at start: a missing production key stops the server instead of the first approval. */
  async onModuleInit(): Promise<void> {
    await this.keys();
  }

  private keys() {
    this.key ??= loadLinkKey(this.config);
    return this.key;
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

  /**
   * The token of a recorded link, signed again from the facts of its ApprovalLinkIssued event
   * (Ed25519 signatures are deterministic, so it is the same token each time): the token itself
   * is never stored, and only the delivery channels ever see it.
   */
  async tokenFor(issued: IssuedLinkData): Promise<string> {
    const { privateKey, kid } = await this.keys();
    const iat = issued.issuedAt ? new Date(issued.issuedAt) : this.clock.now();
    return new SignJWT({ model: issued.model, version: issued.version, purpose: 'approval' })
      .setProtectedHeader({ alg: 'EdDSA', kid, typ: LINK_TYP })
      .setSubject(issued.approver)
      .setIssuer(LINK_ISSUER)
      .setAudience(LINK_AUDIENCE)
      .setJti(issued.jti)
      .setIssuedAt(iat)
      .setExpirationTime(new Date(issued.expiresAt))
      .sign(privateKey);
  }

  /** The approver's URL: PUBLIC_BASE_URL, or the listen address in development. Never a request header. */
  async urlFor(issued: IssuedLinkData): Promise<string> {
    return `${this.baseUrl()}/approve/${await this.tokenFor(issued)}`;
  }

  baseUrl(): string {
    if (this.config.PUBLIC_BASE_URL) return this.config.PUBLIC_BASE_URL.replace(/\/+$/, '');
    const address = this.adapterHost?.httpAdapter?.getHttpServer?.()?.address?.();
    const host = this.config.HOST === '0.0.0.0' || this.config.HOST === '::' ? '127.0.0.1' : this.config.HOST;
    const port = address && typeof address === 'object' ? address.port : this.config.PORT;
    return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  }

  /** The recorded history of a link: its issue, and its use if any. */
  async history(jti: string): Promise<{ issued?: RecordedEvent<IssuedLinkData>; used?: RecordedEvent<UsedLinkData> }> {
    const events = await this.store.readStream(linkStream(jti));
    return {
      issued: events.find((e) => e.type === 'ApprovalLinkIssued') as RecordedEvent<IssuedLinkData> | undefined,
      used: events.find((e) => e.type === 'ApprovalLinkUsed') as RecordedEvent<UsedLinkData> | undefined,
    };
  }

  /**
   * Appends ApprovalLinkUsed through the link decider on the command path, at the link's current
   * revision: a link is used once, also across replicas (a concurrent use is decided again, and refused).
   */
  async markUsed(jti: string, use: { decision: 'approve' | 'reject'; position: number }, meta: RecordedEvent['metadata']): Promise<void> {
    const stream = linkStream(jti);
    await appendDecision(
      this.store,
      {
        stream,
        load: async () => {
          const events = await this.store.readStream(stream);
          const state = events.reduce(
            (st, e) => evolveApprovalLink(st, { type: e.type, data: e.data, id: e.id, revision: e.revision, recordedAt: e.recordedAt, actor: e.metadata.actor.sub } as never),
            initialApprovalLinkState(),
          );
          return { state, revision: state.revision, position: events.at(-1)?.position ?? 0 };
        },
        decide: (state) => decideUseLink(state, { jti, ...use }),
      },
      { newId: () => this.ids.next(), metadata: meta },
    );
  }

  /** One decision per link at a time in this process; across processes the append revision decides. */
  exclusive<T>(jti: string, fn: () => Promise<T>): Promise<T> {
    return this.locks.run(jti, fn);
  }
}
