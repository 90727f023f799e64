import { DomainError, conflict, notFound, type ErrorDetail } from '../errors.js';
import type { PromotionPolicy } from '../model/policy.js';
import type { ModelState, VersionState } from '../model/types.js';
import type { ApproverDirectory } from './directory.js';
import type { ApprovalEvent, ApprovalEventDataMap, NotificationChannel, NotificationFacts, RequestedLink } from './events.js';

/* ------------------------------------------------------------------ approval requests */

export interface OpenRequest {
  requestId: string;
  trigger: 'automatic' | 'manual';
  requestedBy: string;
  requestedAt: string;
  links: RequestedLink[];
  expiresAt: string;
  remindAt?: string;
  reminders: number;
  expired: boolean;
}

/** The approval requests of one version, folded from its request stream. */
export interface ApprovalRequestState {
  revision: number;
  requests: OpenRequest[];
}

export const initialApprovalRequestState = (): ApprovalRequestState => ({ revision: -1, requests: [] });

export function evolveApprovalRequest(state: ApprovalRequestState, event: ApprovalEvent & { revision: number; recordedAt: string }): ApprovalRequestState {
  const next = { ...state, revision: event.revision };
  const change = (requestId: string, fn: (r: OpenRequest) => OpenRequest) => {
    next.requests = next.requests.map((r) => (r.requestId === requestId ? fn(r) : r));
  };
  switch (event.type) {
    case 'ApprovalRequested': {
      const d = event.data;
      next.requests = [
        ...next.requests,
        {
          requestId: d.requestId,
          trigger: d.trigger,
          requestedBy: d.requestedBy,
          requestedAt: event.recordedAt,
          links: d.links,
          expiresAt: d.expiresAt,
          ...(d.remindAt ? { remindAt: d.remindAt } : {}),
          reminders: 0,
          expired: false,
        },
      ];
      return next;
    }
    case 'ApprovalReminderSent':
      change(event.data.requestId, (r) => ({ ...r, reminders: event.data.reminder }));
      return next;
    case 'ApprovalRequestExpired':
      change(event.data.requestId, (r) => ({ ...r, expired: true }));
      return next;
    default:
      return next;
  }
}

/** Why each named approver may not receive a link; empty when all may. */
export function linkRefusals(
  state: ModelState,
  v: VersionState,
  approvers: readonly string[],
  issuer: string,
  directory: ApproverDirectory,
): ErrorDetail[] {
  return approvers.flatMap((a): ErrorDetail[] => {
    const refuse = (rule: string, message: string) => [{ field: 'approvers', rule, message, approver: a }];
    if (!directory.person(a)) return refuse('approverDirectory', `${a} is not in the approver directory`);
    if (!directory.mayApprove(a, state.name)) return refuse('approverGroup', `${a} is not in a group that may approve ${state.name}`);
    if (a === v.registeredBy) return refuse('fourEyes', `${a} registered version ${v.version} and cannot approve it through a link`);
    if (a === issuer) return refuse('issuerIsApprover', `${a} is issuing the link and cannot also hold it`);
    if (v.approvals.some((x) => x.sub === a)) return refuse('distinctApprovers', `${a} has already approved version ${v.version}`);
    return [];
  });
}

export interface RequestApproval {
  type: 'RequestApproval';
  requestId: string;
  version: string;
  trigger: 'automatic' | 'manual';
  /** The subject asking (the issuer of a manual request, the system actor otherwise). */
  requestedBy: string;
  /** Manual: the approvers named by the issuer. Automatic: every eligible approver in the directory. */
  approvers?: string[];
  /** One fresh id per approver, in order (for automatic requests: at least as many as eligible approvers). */
  linkIds: string[];
  now: Date;
  ttlHours: number;
  /** 0: no reminder. */
  remindAfterHours: number;
  /** Automatic requests skip these subjects (no delivery channel reaches them). */
  unreachable?: string[];
}

export interface RequestDecision {
  /** For the version's request stream. */
  request: ApprovalEvent[];
  /** One ApprovalLinkIssued per approver, each for its own link stream. */
  links: { jti: string; event: Extract<ApprovalEvent, { type: 'ApprovalLinkIssued' }> }[];
}

function requirePending(state: ModelState, versionId: string): VersionState {
  if (!state.exists) throw notFound('MODEL_NOT_FOUND', `model '${state.name}' does not exist`, { model: state.name });
  const v = state.versions[versionId];
  if (!v) throw notFound('VERSION_NOT_FOUND', `model '${state.name}' has no version ${versionId}`, { model: state.name, version: versionId });
  if (v.stage === 'Archived') throw conflict('VERSION_ARCHIVED', `version ${versionId} is archived; nothing to approve`);
  if (v.approvalStatus !== 'PendingManualApproval') {
    throw conflict('ALREADY_DECIDED', `version ${versionId} is already ${v.approvalStatus}; approval links are for pending versions`, { approvalStatus: v.approvalStatus });
  }
  return v;
}

/** True when every Production requirement but the approvals is met: the moment to ask approvers. */
export function readyExceptApprovals(state: ModelState, v: VersionState, policy: PromotionPolicy): boolean {
  if (v.stage === 'Archived' || v.stage === 'Production' || v.approvalStatus !== 'PendingManualApproval') return false;
  const unmet = policy.checklist(state, v, { kind: 'stage', stage: 'Production' }).filter((r) => !r.met);
  return unmet.length > 0 && unmet.every((r) => r.code === 'APPROVAL_REQUIRED');
}

/**
 * An approval request and one link per approver. A link only ever goes to a known person of the
 * directory who may approve this model, who did not register the version, who is not the issuer
 * and who has not approved yet: whoever issues a link never holds it.
 */
export function decideRequestApproval(
  model: ModelState,
  request: ApprovalRequestState,
  cmd: RequestApproval,
  ctx: { directory: ApproverDirectory; policy: PromotionPolicy },
): RequestDecision {
  const v = requirePending(model, cmd.version);
  let approvers: string[];
  if (cmd.trigger === 'automatic') {
    // Asked once per version; later requests are manual (or reminders).
    if (request.requests.length > 0) return { request: [], links: [] };
    if (!readyExceptApprovals(model, v, ctx.policy)) return { request: [], links: [] };
    approvers = ctx.directory
      .approversFor(model.name)
      .map((p) => p.subject)
      .filter((s) => !cmd.unreachable?.includes(s) && linkRefusals(model, v, [s], cmd.requestedBy, ctx.directory).length === 0);
    // Nobody to ask (no directory, or nobody eligible): nothing is requested; links can still be issued by hand.
    if (approvers.length === 0) return { request: [], links: [] };
  } else {
    approvers = cmd.approvers ?? [];
    const refused = linkRefusals(model, v, approvers, cmd.requestedBy, ctx.directory);
    if (refused.length) throw new DomainError('APPROVER_NOT_ELIGIBLE', 'forbidden', refused.map((r) => r.message).join('; '), refused);
  }
  if (cmd.linkIds.length < approvers.length) throw new Error('decideRequestApproval: one link id per approver is needed');
  const issuedAt = new Date(Math.floor(cmd.now.getTime() / 1000) * 1000);
  const expiresAt = new Date(issuedAt.getTime() + cmd.ttlHours * 3600_000).toISOString();
  const links: RequestedLink[] = approvers.map((approver, i) => ({ approver, linkId: cmd.linkIds[i], expiresAt }));
  const remindAt = cmd.remindAfterHours > 0 ? new Date(issuedAt.getTime() + cmd.remindAfterHours * 3600_000) : undefined;
  const requested: ApprovalEventDataMap['ApprovalRequested'] = {
    requestId: cmd.requestId,
    model: model.name,
    version: v.version,
    trigger: cmd.trigger,
    requestedBy: cmd.requestedBy,
    links,
    expiresAt,
    ...(remindAt && remindAt.toISOString() < expiresAt ? { remindAt: remindAt.toISOString() } : {}),
    directory: ctx.directory.hash,
    policy: ctx.policy.id,
  };
  return {
    request: [{ type: 'ApprovalRequested', data: requested }],
    links: links.map((l) => ({
      jti: l.linkId,
      event: {
        type: 'ApprovalLinkIssued',
        data: { jti: l.linkId, model: model.name, version: v.version, approver: l.approver, expiresAt, purpose: 'approval', issuedAt: issuedAt.toISOString(), requestId: cmd.requestId },
      },
    })),
  };
}

/**
 * Reminders and expiry of the open requests of one version, as of `now`. A reminder goes to the
 * approvers of the request who have not decided yet, every `remindAfterHours` until it expires;
 * once past its expiry an open request is closed by ApprovalRequestExpired.
 */
export function decideRequestDeadlines(
  model: ModelState,
  request: ApprovalRequestState,
  cmd: { version: string; now: Date; remindAfterHours: number },
): ApprovalEvent[] {
  const v = model.versions[cmd.version];
  if (!v || v.approvalStatus !== 'PendingManualApproval' || v.stage === 'Archived') return [];
  const decided = new Set(v.approvals.map((a) => a.sub));
  const now = cmd.now.toISOString();
  const events: ApprovalEvent[] = [];
  for (const r of request.requests) {
    if (r.expired) continue;
    const pending = r.links.filter((l) => !decided.has(l.approver));
    if (now >= r.expiresAt) {
      events.push({ type: 'ApprovalRequestExpired', data: { requestId: r.requestId, model: model.name, version: v.version, pending: pending.map((l) => l.approver) } });
      continue;
    }
    if (!r.remindAt || cmd.remindAfterHours <= 0 || pending.length === 0) continue;
    const due = new Date(new Date(r.remindAt).getTime() + r.reminders * cmd.remindAfterHours * 3600_000).toISOString();
    if (now >= due && due < r.expiresAt) {
      events.push({
        type: 'ApprovalReminderSent',
        data: { requestId: r.requestId, model: model.name, version: v.version, reminder: r.reminders + 1, links: pending.map((l) => ({ approver: l.approver, linkId: l.linkId })) },
      });
    }
  }
  return events;
}

/* ------------------------------------------------------------------ approval links */

export interface ApprovalLinkState {
  revision: number;
  issued?: ApprovalEventDataMap['ApprovalLinkIssued'];
  /** Id of the ApprovalLinkIssued event (the cause of the decision taken through the link). */
  issuedEventId?: string;
  issuedBy?: string;
  used?: ApprovalEventDataMap['ApprovalLinkUsed'] & { at: string };
}

export const initialApprovalLinkState = (): ApprovalLinkState => ({ revision: -1 });

export function evolveApprovalLink(state: ApprovalLinkState, event: ApprovalEvent & { id: string; revision: number; recordedAt: string; actor: string }): ApprovalLinkState {
  if (event.type === 'ApprovalLinkIssued') return { ...state, revision: event.revision, issued: event.data, issuedEventId: event.id, issuedBy: event.actor };
  if (event.type === 'ApprovalLinkUsed') return { ...state, revision: event.revision, used: { ...event.data, at: event.recordedAt } };
  return { ...state, revision: event.revision };
}

/** A link is used once: the use is decided on the link's state and appended at its revision. */
export function decideUseLink(link: ApprovalLinkState, use: Omit<ApprovalEventDataMap['ApprovalLinkUsed'], 'model' | 'version' | 'approver'>): ApprovalEvent[] {
  if (!link.issued) throw notFound('LINK_UNKNOWN', 'this server has no record of issuing this approval link');
  if (link.used) throw conflict('LINK_ALREADY_USED', `this approval link was already used by ${link.used.approver}`);
  if (link.issued.jti !== use.jti) throw conflict('LINK_UNKNOWN', 'the link id does not match its record');
  return [{ type: 'ApprovalLinkUsed', data: { jti: use.jti, model: link.issued.model, version: link.issued.version, approver: link.issued.approver, decision: use.decision, position: use.position } }];
}

/* ------------------------------------------------------------------ notifications */

export interface DeliveryKey {
  approver?: string;
  channel: NotificationChannel;
}
const keyOf = (k: DeliveryKey) => `${k.channel}|${k.approver ?? ''}`;

/** Outcome of every delivery of one notified event, folded from its notification stream. */
export interface NotificationState {
  revision: number;
  deliveries: Record<string, { attempts: number; done: boolean; sent: boolean }>;
}
export const initialNotificationState = (): NotificationState => ({ revision: -1, deliveries: {} });

export function evolveNotification(state: NotificationState, event: ApprovalEvent & { revision: number }): NotificationState {
  if (event.type !== 'NotificationSent' && event.type !== 'NotificationFailed') return { ...state, revision: event.revision };
  const k = keyOf(event.data);
  const sent = event.type === 'NotificationSent';
  const done = sent || (event.type === 'NotificationFailed' && event.data.final);
  return { revision: event.revision, deliveries: { ...state.deliveries, [k]: { attempts: event.data.attempt, done, sent } } };
}

export function deliveryStatus(state: NotificationState, key: DeliveryKey) {
  return state.deliveries[keyOf(key)] ?? { attempts: 0, done: false, sent: false };
}

/**
 * Records one delivery attempt. A delivery that already succeeded or was dead-lettered records
 * nothing more (at-least-once delivery may try again after a restart; the audit trail stays
 * one outcome per attempt). The last allowed failure is final: a dead letter.
 */
export function decideNotificationOutcome(
  state: NotificationState,
  attempt: { facts: Omit<NotificationFacts, 'attempt'>; ok: boolean; error?: string; maxAttempts: number; nextAttemptAt?: Date },
): ApprovalEvent[] {
  const current = deliveryStatus(state, attempt.facts);
  if (current.done) return [];
  const n = current.attempts + 1;
  const facts = { ...attempt.facts, attempt: n };
  if (attempt.ok) return [{ type: 'NotificationSent', data: facts }];
  const final = n >= attempt.maxAttempts;
  return [
    {
      type: 'NotificationFailed',
      data: { ...facts, error: (attempt.error ?? 'delivery failed').slice(0, 500), final, ...(!final && attempt.nextAttemptAt ? { nextAttemptAt: attempt.nextAttemptAt.toISOString() } : {}) },
    },
  ];
}
