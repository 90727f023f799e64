import { CallHandler, ExecutionContext, HttpStatus, Injectable, NestInterceptor } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants.js';
import { Reflector } from '@nestjs/core';
import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Observable, from, lastValueFrom } from 'rxjs';
import type { SqlDb } from '../../../../libs/persistence/src/index.js';
import type { AuthenticatedRequest } from '../../../../libs/auth/src/index.js';
import { ProblemException } from './problem.js';

interface StoredResponse {
  status: number;
  body: unknown;
}

/** Remembers the response to each (actor, method, path, Idempotency-Key) so a retry gets it again. */
export class IdempotencyStore {
  constructor(private readonly db: SqlDb) {}

  /** Claims the key; returns the earlier outcome when there is one. */
  async claim(keyHash: string, requestHash: string, now: string): Promise<{ claimed: true } | { claimed: false; requestHash: string; state: string; response?: StoredResponse }> {
    const inserted = await this.db.run(
      `INSERT INTO idempotency_keys (key_hash, request_hash, state, created_at) VALUES (?, ?, 'running', ?) ON CONFLICT (key_hash) DO NOTHING`,
      [keyHash, requestHash, now],
    );
    if (inserted.changes === 1) return { claimed: true };
    const [row] = await this.db.query<{ request_hash: string; state: string; response: string | null }>(
      'SELECT request_hash, state, response FROM idempotency_keys WHERE key_hash = ?',
      [keyHash],
    );
    if (!row) return this.claim(keyHash, requestHash, now);
    return { claimed: false, requestHash: row.request_hash, state: row.state, ...(row.response ? { response: JSON.parse(row.response) as StoredResponse } : {}) };
  }

  async complete(keyHash: string, response: StoredResponse): Promise<void> {
    await this.db.run(`UPDATE idempotency_keys SET state = 'done', response = ? WHERE key_hash = ?`, [JSON.stringify(response), keyHash]);
  }

  /** A failed request releases its key, so the client may retry it. */
  async release(keyHash: string): Promise<void> {
    await this.db.run(`DELETE FROM idempotency_keys WHERE key_hash = ? AND state = 'running'`, [keyHash]);
  }
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    private readonly keys: IdempotencyStore,
    private readonly reflector: Reflector,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = context.switchToHttp().getRequest<FastifyRequest & AuthenticatedRequest>();
    const raw = req.headers['idempotency-key'];
    const key = Array.isArray(raw) ? raw[0] : raw;
    if (!key || req.method === 'GET') return next.handle();
    if (key.length > 200) {
      throw new ProblemException({ status: 400, code: 'VALIDATION_FAILED', detail: 'Idempotency-Key is longer than 200 characters', errors: [{ field: 'Idempotency-Key', rule: 'maxLength', message: 'at most 200 characters' }] });
    }
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    const keyHash = sha256(JSON.stringify([req.actor?.sub ?? '', req.method, req.url, key]));
    const requestHash = sha256(JSON.stringify(req.body ?? null));
    return from(
      (async () => {
        const claim = await this.keys.claim(keyHash, requestHash, new Date().toISOString());
        if (!claim.claimed) {
          if (claim.requestHash !== requestHash) {
            throw new ProblemException({ status: 422, code: 'IDEMPOTENCY_KEY_REUSED', detail: 'this Idempotency-Key was used with a different request body; use a new key for a new request' });
          }
          if (claim.state !== 'done' || !claim.response) {
            throw new ProblemException({ status: 409, code: 'IDEMPOTENCY_KEY_IN_PROGRESS', detail: 'a request with this Idempotency-Key is still running' });
          }
          void reply.status(claim.response.status).header('Idempotent-Replayed', 'true');
          return claim.response.body;
        }
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
