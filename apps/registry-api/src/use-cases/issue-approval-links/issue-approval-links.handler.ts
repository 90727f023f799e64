import { Inject, Injectable } from '@nestjs/common';
import { DomainError, conflict, notFound, type PromotionPolicy } from '../../../../../libs/domain/src/index.js';
import { ApprovalLinks } from '../../application/approval-links.js';
import { CommandService } from '../../application/command-service.js';
import type { RequestContext } from '../../application/request-context.js';
import type { AppConfig } from '../../config.js';
import { APP_CONFIG, POLICY } from '../../infrastructure/tokens.js';
import type { IssueApprovalLinksDto } from './issue-approval-links.dto.js';

@Injectable()
export class IssueApprovalLinksHandler {
  constructor(
    private readonly commands: CommandService,
    private readonly links: ApprovalLinks,
    @Inject(POLICY) private readonly policy: PromotionPolicy,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async handle(name: string, version: string, dto: IssueApprovalLinksDto, ctx: RequestContext, baseUrl: string) {
    const { state } = await this.commands.load(name);
    if (!state.exists) throw notFound('MODEL_NOT_FOUND', `model '${name}' does not exist`, { model: name });
    const v = state.versions[version];
    if (!v) throw notFound('VERSION_NOT_FOUND', `model '${name}' has no version ${version}`, { model: name, version });
    if (v.stage === 'Archived') throw conflict('VERSION_ARCHIVED', `version ${version} is archived; nothing to approve`);
    if (v.approvalStatus !== 'PendingManualApproval') {
      throw conflict('ALREADY_DECIDED', `version ${version} is already ${v.approvalStatus}; approval links are for pending versions`, { approvalStatus: v.approvalStatus });
    }
    // Refuse up front what the approver could not do anyway, listing every such approver.
    const refused = dto.approvers.flatMap((a) => {
      if (a === v.registeredBy && !this.policy.allowSelfApproval(name)) return [{ field: 'approvers', rule: 'fourEyes', message: `${a} registered version ${version} and cannot approve it (four-eyes rule)`, approver: a }];
      if (v.approvals.some((x) => x.sub === a)) return [{ field: 'approvers', rule: 'distinctApprovers', message: `${a} has already approved version ${version}`, approver: a }];
      return [];
    });
    if (refused.length) {
      throw new DomainError('APPROVER_NOT_ELIGIBLE', 'forbidden', refused.map((r) => r.message).join('; '), refused);
    }
    const ttl = dto.ttlHours ?? this.config.APPROVAL_LINK_TTL_HOURS;
    const meta = {
      actor: ctx.actor,
      correlationId: ctx.correlationId,
      ...(ctx.causationId ? { causationId: ctx.causationId } : {}),
      ...(dto.reason ? { reason: dto.reason } : {}),
      ...(ctx.traceparent ? { traceparent: ctx.traceparent } : {}),
    };
    const links = [];
    for (const approver of dto.approvers) {
      const { token, expiresAt } = await this.links.issue(name, version, approver, ttl, meta);
      links.push({ approver, url: `${baseUrl}/approve/${token}`, expiresAt });
    }
    return { name, version, links };
  }
}
