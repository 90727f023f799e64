/**
 * Events of approval requests, approval links and their notifications. They live outside the
 * model streams (the model's consistency boundary is its versions and aliases): one stream per
 * request (per version), per link, and per notified event. Approvers are named by subject only;
 * no token, URL or email address ever enters an event.
 */
export type NotificationChannel = 'email' | 'webhook' | 'outbox';
export type NotificationKind = 'approval-link' | 'approval-reminder' | 'approval-expired';

export interface RequestedLink {
  approver: string;
  linkId: string;
  expiresAt: string;
}

export interface ApprovalEventDataMap {
  /** The server asked for approval of a version: automatically when only approvals are missing, or by an issuer. */
  ApprovalRequested: {
    requestId: string;
    model: string;
    version: string;
    trigger: 'automatic' | 'manual';
    requestedBy: string;
    links: RequestedLink[];
    expiresAt: string;
    remindAt?: string;
    /** `sha256:…` of the approver directory that chose the approvers (never its content). */
    directory: string;
    policy: string;
  };
  /** One link for one approver; the token is never stored (it is signed again from these facts when delivered). */
  ApprovalLinkIssued: {
    jti: string;
    model: string;
    version: string;
    approver: string;
    expiresAt: string;
    purpose: 'approval';
    issuedAt?: string;
    requestId?: string;
  };
  ApprovalLinkUsed: {
    jti: string;
    model: string;
    version: string;
    approver: string;
    decision: 'approve' | 'reject';
    position: number;
  };
  ApprovalReminderSent: {
    requestId: string;
    model: string;
    version: string;
    reminder: number;
    links: { approver: string; linkId: string }[];
  };
  ApprovalRequestExpired: {
    requestId: string;
    model: string;
    version: string;
    /** Approvers whose links ran out without a decision. */
    pending: string[];
  };
  NotificationSent: NotificationFacts;
  NotificationFailed: NotificationFacts & {
    error: string;
    /** True when no further attempt follows (dead letter). */
    final: boolean;
    nextAttemptAt?: string;
  };
}

export interface NotificationFacts {
  /** Id of the event that was notified (ApprovalLinkIssued, ApprovalReminderSent, ApprovalRequestExpired). */
  trigger: string;
  kind: NotificationKind;
  channel: NotificationChannel;
  model: string;
  version: string;
  approver?: string;
  linkId?: string;
  attempt: number;
}

export type ApprovalEventType = keyof ApprovalEventDataMap;
export type ApprovalEvent = { [K in ApprovalEventType]: { type: K; data: ApprovalEventDataMap[K] } }[ApprovalEventType];

export const APPROVAL_EVENT_TYPES: readonly ApprovalEventType[] = [
  'ApprovalRequested',
  'ApprovalLinkIssued',
  'ApprovalLinkUsed',
  'ApprovalReminderSent',
  'ApprovalRequestExpired',
  'NotificationSent',
  'NotificationFailed',
];

export const APPROVAL_REQUEST_STREAM_PREFIX = 'approval-request-';
export const approvalRequestStream = (model: string, version: string) => `${APPROVAL_REQUEST_STREAM_PREFIX}${model}@${version}`;

/** The model and version of an approval-request stream (model names never contain '@'); null for any other stream. */
export function approvalRequestOfStream(stream: string): { model: string; version: string } | null {
  if (!stream.startsWith(APPROVAL_REQUEST_STREAM_PREFIX)) return null;
  const rest = stream.slice(APPROVAL_REQUEST_STREAM_PREFIX.length);
  const at = rest.indexOf('@');
  return at > 0 && at < rest.length - 1 ? { model: rest.slice(0, at), version: rest.slice(at + 1) } : null;
}
export const approvalLinkStream = (jti: string) => `approval-link-${jti}`;
export const notificationStream = (trigger: string) => `notification-${trigger}`;

/** The actor of what the server does by itself (automatic requests, reminders, expiry, notifications). */
export const APPROVAL_SYSTEM_ACTOR = 'system:approval-requests';
export const NOTIFIER_ACTOR = 'system:notifier';
