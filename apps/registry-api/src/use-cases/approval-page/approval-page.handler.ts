import { Inject, Injectable } from '@nestjs/common';
import { APPROVAL_SYSTEM_ACTOR, DomainError, productionVersion, type ApproverDirectory, type ModelState, type PromotionPolicy, type VersionState } from '#domain';
import { uuidv7 } from '#persistence';
import { ApprovalLinks, LinkRefused, type IssuedLinkData, type LinkClaims } from '../../application/approval-links.js';
import { CommandService } from '../../application/command-service.js';
import { STATUS_OF_KIND } from '../../http/problem.js';
import type { RecordedEvent } from '#event-store';
import { APPROVERS, POLICY } from '../../infrastructure/tokens.js';
import type { ApprovalPageModel } from './approval-page.view.js';

/** What the page shows instead of the form, with the HTTP status it is served with. */
export interface Refusal {
  status: number;
  code: string;
  title: string;
  message: string;
  details?: [string, string][];
}

export type Inspection = { ok: true; page: ApprovalPageModel; claims: LinkClaims; issued: RecordedEvent<IssuedLinkData> } | { ok: false; refusal: Refusal };

const refuse = (status: number, code: string, title: string, message: string, details?: [string, string][]): { ok: false; refusal: Refusal } => ({
  ok: false,
  refusal: { status, code, title, message, ...(details ? { details } : {}) },
});

/** Why a decision on this version is no longer possible, judged from the recorded state. */
function versionRefusal(state: ModelState, v: VersionState | undefined, claims: LinkClaims, policy: PromotionPolicy) {
  if (!v) return refuse(404, 'VERSION_NOT_FOUND', 'Version not found', `${claims.model} has no version ${claims.version}.`);
  if (v.approvalStatus === 'Rejected') {
    return refuse(409, 'VERSION_REJECTED', 'Version rejected', `Version ${v.version} of ${claims.model} was rejected; a rejection is final.`, [
      ['Rejected by', v.rejection?.sub ?? '?'],
      ['At', v.rejection?.at ?? '?'],
    ]);
  }
  if (v.stage === 'Archived') return refuse(409, 'VERSION_ARCHIVED', 'Version archived', `Version ${v.version} of ${claims.model} is archived; there is nothing to approve.`);
  if (v.approvalStatus === 'Approved') {
    return refuse(409, 'ALREADY_DECIDED', 'Already approved', `Version ${v.version} of ${claims.model} already has the approvals it needs.`, [
      ['Approved by', v.approvals.map((a) => a.sub).join(', ')],
    ]);
  }
  if (v.approvals.some((a) => a.sub === claims.sub)) return refuse(409, 'DUPLICATE_APPROVER', 'Already approved by you', `${claims.sub} has already approved version ${v.version}.`);
  if (v.registeredBy === claims.sub && !policy.allowSelfApproval(state.name)) {
    return refuse(403, 'SELF_APPROVAL_FORBIDDEN', 'Four-eyes rule', `${claims.sub} registered version ${v.version} and cannot also approve it.`);
  }
  return null;
}

@Injectable()
export class ApprovalPageHandler {
  constructor(
    private readonly links: ApprovalLinks,
    private readonly commands: CommandService,
    @Inject(POLICY) private readonly policy: PromotionPolicy,
    @Inject(APPROVERS) private readonly directory: ApproverDirectory,
  ) {}

  async inspect(token: string): Promise<Inspection> {
    let claims: LinkClaims;
    try {
      claims = await this.links.verify(token);
    } catch (err) {
      if (err instanceof LinkRefused && err.reason === 'expired') return refuse(410, 'LINK_EXPIRED', 'Link expired', 'This approval link has expired. Ask for a new one.');
      return refuse(401, 'LINK_INVALID', 'Link not valid', 'This approval link is not valid: it was altered, or it was not signed by this server.');
    }
    const { issued, used } = await this.links.history(claims.jti);
    if (!issued || issued.data.approver !== claims.sub || issued.data.model !== claims.model || issued.data.version !== claims.version) {
      return refuse(401, 'LINK_UNKNOWN', 'Link not valid', 'This server has no record of issuing this approval link.');
    }
    if (used) {
      const decided = used.data.decision === 'approve' ? 'approved' : 'rejected';
      return refuse(409, 'LINK_ALREADY_USED', 'Link already used', `This approval link was already used: ${used.data.approver} ${decided} ${claims.model} ${claims.version} at ${used.recordedAt}.`, [
        ['Used by', used.data.approver],
        ['When', used.recordedAt],
        ['Decision', used.data.decision],
      ]);
    }
    const { state } = await this.commands.load(claims.model);
    const v = state.versions[claims.version];
    const refusal = versionRefusal(state, v, claims, this.policy);
    if (refusal) return refusal;
    // Checked again at use: links issued before the directory existed, or to someone who since lost the right.
    if (!this.directory.mayApprove(claims.sub, claims.model)) {
      return refuse(403, 'APPROVER_NOT_ELIGIBLE', 'Not an approver', `${claims.sub} is not an approver of ${claims.model} in the approver directory.`);
    }
    if (issued.metadata.actor?.sub === claims.sub) {
      return refuse(403, 'APPROVER_NOT_ELIGIBLE', 'Not an approver', `${claims.sub} issued this link and cannot also use it.`);
    }
    const incumbent = productionVersion(state);
    const requirements = this.policy.checklist(state, v!, { kind: 'stage', stage: 'Production' });
    return {
      ok: true,
      claims,
      issued,
      page: {
        token,
        model: claims.model,
        approver: claims.sub,
        expiresAt: new Date(claims.exp * 1000).toISOString(),
        version: v!,
        ...(incumbent && incumbent.version !== v!.version ? { incumbent } : {}),
        requirements,
        requiredApprovals: this.policy.requiredApprovals(claims.model),
        policyId: this.policy.id,
        ...(state.description ? { modelDescription: state.description } : {}),
        owners: state.owners,
        requestedBy: issued.metadata.actor?.sub ?? 'unknown',
        trigger: issued.metadata.actor?.sub === APPROVAL_SYSTEM_ACTOR ? 'automatic' : 'manual',
        recordedGates: Object.values(v!.gates)
          .sort((a, b) => a.gate.localeCompare(b.gate))
          .map((g) => ({ ...g, required: requirements.some((r) => r.gate === g.gate) })),
      },
    };
  }

  async decide(token: string, form: Record<string, unknown>): Promise<{ ok: true; title: string; message: string; details: [string, string][] } | { ok: false; refusal: Refusal }> {
    const decision = form.decision;
    const comment = typeof form.comment === 'string' ? form.comment.trim() : '';
    if (decision !== 'approve' && decision !== 'reject') return refuse(400, 'INVALID_DECISION', 'No decision', 'The form must send decision=approve or decision=reject.');
    if (comment.length > 4000) return refuse(400, 'COMMENT_TOO_LONG', 'Comment too long', 'The comment may have at most 4000 characters.');
    const first = await this.inspect(token);
    if (!first.ok) return first;
    return this.links.exclusive(first.claims.jti, async () => {
      const seen = await this.inspect(token);
      if (!seen.ok) return seen;
      const { claims, issued } = seen;
      if ((form.model !== undefined && form.model !== claims.model) || (form.version !== undefined && form.version !== claims.version)) {
        return refuse(400, 'LINK_VERSION_MISMATCH', 'Wrong version', `This link is for ${claims.model} ${claims.version}, not ${String(form.model ?? claims.model)} ${String(form.version ?? claims.version)}.`);
      }
      const ctx = {
        actor: { sub: claims.sub, scopes: [] },
        correlationId: issued.metadata.correlationId ?? uuidv7(),
        causationId: issued.id,
        via: 'approval-link',
      };
      let result;
      try {
        result = await this.commands.execute(claims.model, { type: 'DecideApproval', version: claims.version, decision, ...(comment ? { comment } : {}) }, ctx, 'decided from an approval link');
      } catch (err) {
        if (err instanceof DomainError) {
          return refuse(STATUS_OF_KIND[err.kind], err.code, 'Decision refused', err.message);
        }
        throw err;
      }
      await this.links.markUsed(claims.jti, { decision, position: result.position }, ctx);
      const v = result.state.versions[claims.version];
      const title = decision === 'approve' ? 'Approval recorded' : 'Rejection recorded';
      const message =
        decision === 'approve'
          ? `Thank you, ${claims.sub}: your approval of ${claims.model} ${claims.version} is recorded. Status: ${v.approvalStatus} (${v.approvals.length} of ${this.policy.requiredApprovals(claims.model)} approvals).`
          : `Thank you, ${claims.sub}: ${claims.model} ${claims.version} is rejected. A rejection is final.`;
      return { ok: true, title, message, details: [['Model', claims.model], ['Version', claims.version], ['Decision', decision], ['Comment', comment || '—'], ['Ledger position', String(result.position)]] };
    });
  }
}
