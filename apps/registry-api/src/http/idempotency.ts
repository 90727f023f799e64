import { CallHandler, ExecutionContext, HttpStatus, Inject, Injectable, NestInterceptor, type OnModuleDestroy } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants.js';
import { Reflector } from '@nestjs/core';
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Observable, from, lastValueFrom } from 'rxjs';
import { uuidv7, type SqlDb } from '#persistence';
import type { AuthenticatedRequest } from '#auth';
import { IDEMPOTENCY_KEY_PROPERTY } from '../application/request-context.js';
import { ProblemException } from './problem.js';

interface StoredResponse {
  status: number;
  body: unknown;
}

export interface IdempotencyOptions {
  /** How long a finished key replays its response; older rows are purged. */
  retentionMs: number;
  /** A running claim not renewed for this long belongs to a dead process and may be taken over. */
  leaseMs: number;
}

export type Claim =
  | { claimed: true; takenOver: boolean }
  | { claimed: false; requestHash: string; state: 'done'; response: StoredResponse }
  | { claimed: false; requestHash: string; state: 'running'; retryAfterSeconds: number };


/**
 * Remembers the response to each (actor, method, path, Idempotency-Key) so a retry gets it again.
 *
 * A claim is owned by one process (`owner`) and holds a lease that the owner renews while the
 * request runs. A process killed mid-request stops renewing, so its claim expires after `leaseMs`
 * and the next retry takes it over. Whether the dead request's write landed is not guessed from
 * this table: the key travels in the appended events' metadata (same transaction as the write),
 * and the command service looks it up before deciding again (see CommandService.execute).
 */
export class IdempotencyStore {
  readonly owner = uuidv7();
  private running = 0;
  private heartbeat?: NodeJS.Timeout;
  private nextPurge = 0;

  constructor(
    private readonly db: SqlDb,
    readonly options: IdempotencyOptions = { retentionMs: 24 * 3600_000, leaseMs: 10_000 },
  ) {}

  /** Claims the key, takes over a claim whose owner died, or returns the earlier outcome. */
  async claim(keyHash: string, requestHash: string, now: Date): Promise<Claim> {
    await this.purgeExpired(now);
    const leaseUntil = new Date(now.getTime() + this.options.leaseMs).toISOString();
    for (let attempt = 0; attempt < 5; attempt++) {
      const inserted = await this.db.run(
        `INSERT INTO idempotency_keys (key_hash, request_hash, state, created_at, owner, lease_until) VALUES (?, ?, 'running', ?, ?, ?) ON CONFLICT (key_hash) DO NOTHING`,
        [keyHash, requestHash, now.toISOString(), this.owner, leaseUntil],
      );
      if (inserted.changes === 1) return this.claimed(false);
      const [row] = await this.db.query<{ request_hash: string; state: string; response: string | null; lease_until: string | null }>(
        'SELECT request_hash, state, response, lease_until FROM idempotency_keys WHERE key_hash = ?',
        [keyHash],
      );
      if (!row) continue; // released or purged between the two statements: claim again
      if (row.state === 'done' && row.response) {
        return { claimed: false, requestHash: row.request_hash, state: 'done', response: JSON.parse(row.response) as StoredResponse };
      }
      // Rows from before leases existed have none: treat them as expired.
      const expiresAt = row.lease_until ? Date.parse(row.lease_until) : 0;
      if (row.request_hash !== requestHash || expiresAt > now.getTime()) {
        return { claimed: false, requestHash: row.request_hash, state: 'running', retryAfterSeconds: Math.max(1, Math.ceil((expiresAt - now.getTime()) / 1000)) };
      }
      // The owner stopped renewing: it is dead (or stalled past its lease). Exactly one taker wins this update.
      const taken = await this.db.run(
        `UPDATE idempotency_keys SET owner = ?, lease_until = ? WHERE key_hash = ? AND state = 'running' AND request_hash = ? AND lease_until IS NOT DISTINCT FROM ?`,
        [this.owner, leaseUntil, keyHash, requestHash, row.lease_until],
      );
      if (taken.changes === 1) return this.claimed(true);
    }
    return { claimed: false, requestHash, state: 'running', retryAfterSeconds: 1 };
  }

  async complete(keyHash: string, response: StoredResponse): Promise<void> {
    try {
      await this.db.run(`UPDATE idempotency_keys SET state = 'done', response = ?, lease_until = NULL WHERE key_hash = ? AND owner = ?`, [
        JSON.stringify(response),
        keyHash,
        this.owner,
      ]);
    } finally {
      this.finished();
    }
  }

  /** A failed request releases its key, so the client may retry it. */
  async release(keyHash: string): Promise<void> {
    try {
      await this.db.run(`DELETE FROM idempotency_keys WHERE key_hash = ? AND state = 'running' AND owner = ?`, [keyHash, this.owner]);
    } finally {
      this.finished();
    }
  }

  /** Rows past retention go, except a claim whose lease is still held. */
  async purgeExpired(now: Date, force = false): Promise<number> {
    if (!force && now.getTime() < this.nextPurge) return 0;
    this.nextPurge = now.getTime() + Math.min(this.options.retentionMs / 10, 10 * 60_000);
    const cutoff = new Date(now.getTime() - this.options.retentionMs).toISOString();
    const { changes } = await this.db.run(
      `DELETE FROM idempotency_keys WHERE created_at < ? AND (state = 'done' OR lease_until IS NULL OR lease_until < ?)`,
      [cutoff, now.toISOString()],
    );
    return changes;
  }

  stop(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  private claimed(takenOver: boolean): Claim {
    this.running++;
    // One statement renews every claim this process holds, a third of the lease before it runs out.
    this.heartbeat ??= setInterval(() => {
      const until = new Date(Date.now() + this.options.leaseMs).toISOString();
      this.db.run(`UPDATE idempotency_keys SET lease_until = ? WHERE owner = ? AND state = 'running'`, [until, this.owner]).catch(() => undefined);
    }, Math.max(50, Math.floor(this.options.leaseMs / 3))).unref();
    return { claimed: true, takenOver };
  }

  private finished(): void {
    this.running = Math.max(0, this.running - 1);
    if (this.running === 0) this.stop();
  }
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** What the command stamps on its events' metadata: the key and the body, so another body under the same key never matches. */
export const eventIdempotencyKey = (keyHash: string, requestHash: string): string => sha256(`${keyHash}:${requestHash}`);

/**
 * The row key (who with which scopes, what route, which key) and the body's hash under which a
 * request is remembered. The scopes are part of the key because some rules are checked by the
 * decider, not the guard (entering Production needs registry:promote): a replay skips the decider,
 * so the same subject with fewer scopes must not get the stored answer. With other scopes the
 * request is a new one and is decided again under them.
 */
export function idempotencyHashes(
  caller: { sub: string; scopes: readonly string[] },
  method: string,
  url: string,
  key: string,
  body: unknown,
): { keyHash: string; requestHash: string } {
  const scopes = [...new Set(caller.scopes)].sort();
  return { keyHash: sha256(JSON.stringify([caller.sub, scopes, method, url, key])), requestHash: sha256(JSON.stringify(body ?? null)) };
}

@Injectable()
export class IdempotencyInterceptor implements NestInterceptor, OnModuleDestroy {
  constructor(
    @Inject(IdempotencyStore) private readonly keys: IdempotencyStore,
    private readonly reflector: Reflector,
  ) {}

  onModuleDestroy(): void {
    this.keys.stop();
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = context.switchToHttp().getRequest<FastifyRequest & AuthenticatedRequest & { [IDEMPOTENCY_KEY_PROPERTY]?: string }>();
    const raw = req.headers['idempotency-key'];
    const key = Array.isArray(raw) ? raw[0] : raw;
    if (!key || req.method === 'GET') return next.handle();
    // Public routes (the approval page) have no authenticated caller: they keep no idempotency state,
    // so an anonymous client can neither fill the table nor poison a key. Their writes are
    // single-use by their own design (a link's stream revision).
    if (!req.actor) return next.handle();
    if (key.length > 200) {
      throw new ProblemException({ status: 400, code: 'VALIDATION_FAILED', detail: 'Idempotency-Key is longer than 200 characters', errors: [{ field: 'Idempotency-Key', rule: 'maxLength', message: 'at most 200 characters' }] });
    }
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const { keyHash, requestHash } = idempotencyHashes(req.actor, req.method, req.url, key, req.body);
    return from(
      (async () => {
        const claim = await this.keys.claim(keyHash, requestHash, new Date());
        if (!claim.claimed) {
          if (claim.requestHash !== requestHash) {
            throw new ProblemException({ status: 422, code: 'IDEMPOTENCY_KEY_REUSED', detail: 'this Idempotency-Key was used with a different request body; use a new key for a new request' });
          }
          if (claim.state === 'running') {
            void reply.header('Retry-After', String(claim.retryAfterSeconds));
            throw new ProblemException({ status: 409, code: 'IDEMPOTENCY_KEY_IN_PROGRESS', detail: 'a request with this Idempotency-Key is still running', retryAfterSeconds: claim.retryAfterSeconds });
          }
          void reply.status(claim.response.status).header('Idempotent-Replayed', 'true');
          return claim.response.body;
        }
        // The command stamps this on its events, so a retry after a crash can find what landed.
        // The body's hash is part of it: after the row's retention, the same key with another body is a new request.
        req[IDEMPOTENCY_KEY_PROPERTY] = eventIdempotencyKey(keyHash, requestHash);
        try {
          const body = await lastValueFrom(next.handle(), { defaultValue: undefined });
          // Nest sets the status after interceptors run, so take it from the route's declaration.
          const status =
            this.reflector.get<number>(HTTP_CODE_METADATA, context.getHandler()) ?? (req.method === 'POST' ? HttpStatus.CREATED : HttpStatus.OK);
          await this.keys.complete(keyHash, { status, body });
          return body;
        } catch (err) {
          await this.keys.release(keyHash);
          throw err;
        }
      })(),
    );
  }
}
