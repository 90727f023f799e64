import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Observable, from, switchMap } from 'rxjs';
import { Projector } from '#read-models';
import { ProblemException } from './problem.js';

const WAIT_MS = 5000;

/**
 * Read-your-writes across replicas: a read that sends `X-Min-Position: <n>` (the position a write
 * returned) is answered only once this replica's read models include position n. The replica
 * that took the write has already projected it before replying; another replica catches up from
 * the shared store here, within a bounded wait.
 */
@Injectable()
export class ReadAfterWriteInterceptor implements NestInterceptor {
  constructor(private readonly projector: Projector) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = context.switchToHttp().getRequest<FastifyRequest>();
    const raw = req.headers['x-min-position'];
    if (raw === undefined || req.method !== 'GET') return next.handle();
    const value = Array.isArray(raw) ? raw[0] : raw;
    if (!/^\d{1,15}$/.test(value)) {
      throw new ProblemException({
        status: 400,
        code: 'VALIDATION_FAILED',
        detail: 'X-Min-Position must be a non-negative integer (the position a write returned)',
        errors: [{ field: 'X-Min-Position', rule: 'integer', message: 'must be a non-negative integer' }],
      });
    }
    const wanted = Number(value);
    return from(this.reach(wanted)).pipe(
      switchMap((reached) => {
        if (reached < wanted) {
          void context.switchToHttp().getResponse<FastifyReply>().header('Retry-After', '1');
          throw new ProblemException({
            status: 503,
            code: 'READ_MODEL_BEHIND',
            detail: `read models are at position ${reached}, not yet ${wanted}; retry shortly (or the position was never written)`,
            position: reached,
          });
        }
        return next.handle();
      }),
    );
  }

  private async reach(wanted: number): Promise<number> {
    if (this.projector.status().position >= wanted) return this.projector.status().position;
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const reached = await this.projector.catchUp(wanted);
      if (reached >= wanted || Date.now() > deadline) return reached;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
