import { Injectable, Logger, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Observable } from 'rxjs';
import type { AuthenticatedRequest } from '#auth';

/**
 * Reads of the audit trail are logged (who read what), not appended to the event store: writing
 * an event per read would make every audit query a write and flood the chain it audits.
 */
@Injectable()
export class AuditReadLog implements NestInterceptor {
  private readonly log = new Logger('AuditRead');

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = context.switchToHttp().getRequest<FastifyRequest & AuthenticatedRequest>();
    this.log.log(`${req.actor?.sub ?? 'anonymous'} ${req.method} ${req.url}`);
    return next.handle();
  }
}
