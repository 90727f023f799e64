import { Injectable } from '@nestjs/common';
import { DomainError } from '#domain';
import { ApprovalRequests } from '../../application/approval-requests.js';
import { NotificationChannels } from '../../application/notification-channels.js';
import type { RequestContext } from '../../application/request-context.js';
import type { IssueApprovalLinksDto } from './issue-approval-links.dto.js';

/**
 * Issues links for approvers named by the caller. The answer says who will be notified and by
 * which channels — never the token or the URL: whoever issues a link must not be able to hold it.
 */
@Injectable()
export class IssueApprovalLinksHandler {
  constructor(
    private readonly requests: ApprovalRequests,
    private readonly channels: NotificationChannels,
  ) {}

  async handle(name: string, version: string, dto: IssueApprovalLinksDto, ctx: RequestContext) {
    const meta = {
      actor: ctx.actor,
      correlationId: ctx.correlationId,
      ...(ctx.causationId ? { causationId: ctx.causationId } : {}),
      ...(dto.reason ? { reason: dto.reason } : {}),
      ...(ctx.traceparent ? { traceparent: ctx.traceparent } : {}),
      ...(ctx.idempotencyKey ? { idempotencyKey: ctx.idempotencyKey } : {}),
    };
    // A link nobody can receive is not issued (known approvers without an email address when only SMTP is set, or no channel at all).
    const unreachable = dto.approvers.filter((a) => this.requests.directory.person(a) && this.channels.for(a).length === 0);
    if (unreachable.length) {
      throw new DomainError(
        'NO_DELIVERY_CHANNEL',
        'precondition',
        `no delivery channel reaches ${unreachable.join(', ')}: configure SMTP_URL (and an email in the approver directory) or WEBHOOK_URL`,
        unreachable.map((a) => ({ field: 'approvers', rule: 'deliveryChannel', message: `no channel reaches ${a}`, approver: a })),
      );
    }
    const outcome = await this.requests.request(name, { version, trigger: 'manual', approvers: dto.approvers, ...(dto.ttlHours ? { ttlHours: dto.ttlHours } : {}) }, meta);
    return {
      name,
      version,
      requestId: outcome.requestId,
      notified: outcome.links.map((l) => {
        const person = this.requests.directory.person(l.approver);
        return {
          approver: l.approver,
          ...(person ? { displayName: person.displayName } : {}),
          linkId: l.linkId,
          expiresAt: l.expiresAt,
          channels: this.channels.for(l.approver),
          delivery: 'queued',
        };
      }),
    };
  }
}
