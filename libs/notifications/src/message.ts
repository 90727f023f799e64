import type { NotificationChannel, NotificationKind } from '#domain';

/** One message to one approver (or, for the expiry notice, about a version). Holds the link URL, so it is never logged or stored. */
export interface Notification {
  /** Stable across retries of the same delivery: receivers can de-duplicate on it (webhook-id). */
  deliveryId: string;
  kind: NotificationKind;
  model: string;
  version: string;
  approver?: { subject: string; displayName: string; email?: string };
  url?: string;
  linkId?: string;
  expiresAt?: string;
  requestedBy?: string;
  reminder?: number;
  /** For the expiry notice: who had not decided. */
  pending?: string[];
}

export interface Channel {
  readonly name: NotificationChannel;
  /** Whether this channel can reach the approver of the notification (e.g. email needs an address). */
  accepts(n: Notification): boolean;
  /** Resolves when delivered; rejects with an error whose message never contains the link. */
  deliver(n: Notification): Promise<void>;
  close?(): Promise<void>;
}

const titles: Record<NotificationKind, string> = {
  'approval-link': 'Approval requested',
  'approval-reminder': 'Reminder: approval requested',
  'approval-expired': 'Approval request expired',
};

export function subjectLine(n: Notification): string {
  return `${titles[n.kind]}: ${n.model} ${n.version}`;
}

/** Plain text shared by email and the Slack-compatible webhook. */
export function plainText(n: Notification): string {
  if (n.kind === 'approval-expired') {
    return `The approval request for ${n.model} ${n.version} expired without a decision${n.pending?.length ? ` from ${n.pending.join(', ')}` : ''}.`;
  }
  const who = n.approver ? `${n.approver.displayName} (${n.approver.subject})` : 'approver';
  const lines = [
    `${who}: ${n.kind === 'approval-reminder' ? 'a reminder — ' : ''}your decision is requested on ${n.model} ${n.version}${n.requestedBy ? ` (requested by ${n.requestedBy})` : ''}.`,
    '',
    `Open this link to review the version and approve or reject it: ${n.url}`,
    '',
    `The link is for you alone and works once${n.expiresAt ? `, until ${n.expiresAt}` : ''}. Do not forward it.`,
  ];
  return lines.join('\n');
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function emailHtml(n: Notification): string {
  const text = esc(plainText(n)).replace(/\n/g, '<br>');
  if (!n.url) return `<p>${text}</p>`;
  return `<p>${text}</p><p><a href="${esc(n.url)}">Review ${esc(n.model)} ${esc(n.version)}</a></p>`;
}
