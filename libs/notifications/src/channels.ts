import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';
import { emailHtml, plainText, subjectLine, type Channel, type Notification } from './message.js';
import { webhookHeaders } from './standard-webhooks.js';

/**
 * Development delivery: one JSON line per message in a file under DATA_DIR (mode 0600). Links go
 * there instead of the log or a response; it is refused in production.
 */
export class OutboxChannel implements Channel {
  readonly name = 'outbox' as const;
  constructor(readonly file: string) {}
  accepts(n: Notification): boolean {
    return n.kind !== 'approval-expired';
  }
  async deliver(n: Notification): Promise<void> {
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    const line = { at: new Date().toISOString(), deliveryId: n.deliveryId, kind: n.kind, to: n.approver?.subject, email: n.approver?.email, model: n.model, version: n.version, linkId: n.linkId, url: n.url, expiresAt: n.expiresAt, subject: subjectLine(n) };
    appendFileSync(this.file, `${JSON.stringify(line)}\n`, { mode: 0o600 });
  }
}

/** Email over SMTP (nodemailer), to the address the directory gives for the approver. */
export class SmtpChannel implements Channel {
  readonly name = 'email' as const;
  private readonly transport: Transporter;
  constructor(smtpUrl: string, private readonly from: string, timeoutMs = 10_000) {
    this.transport = nodemailer.createTransport(smtpUrl, { connectionTimeout: timeoutMs, greetingTimeout: timeoutMs, socketTimeout: timeoutMs } as never);
  }
  accepts(n: Notification): boolean {
    return Boolean(n.approver?.email) && n.kind !== 'approval-expired';
  }
  async deliver(n: Notification): Promise<void> {
    try {
      await this.transport.sendMail({
        from: this.from,
        to: { name: n.approver!.displayName, address: n.approver!.email! },
        subject: subjectLine(n),
        text: plainText(n),
        html: emailHtml(n),
        headers: { 'X-Model-Ledger-Delivery': n.deliveryId },
      });
    } catch (err) {
      // SMTP errors may echo the message; keep only the code and first line.
      const e = err as { code?: string; responseCode?: number; message?: string };
      throw new Error(`smtp: ${e.code ?? ''} ${e.responseCode ?? ''} ${(e.message ?? '').split('\n')[0].replace(/https?:\/\/\S+/g, '<url>')}`.trim());
    }
  }
  async close(): Promise<void> {
    this.transport.close();
  }
}

export type WebhookFormat = 'standard' | 'slack';

/**
 * Webhooks in the Standard Webhooks format (webhook-id / webhook-timestamp / webhook-signature).
 * `standard`: a JSON body {type, timestamp, data}; `slack`: a Slack-compatible {text} body,
 * signed the same way. The receiver gets the link for the named approver: it must route it to
 * that person only (e.g. a direct message), never to a shared channel.
 */
export class WebhookChannel implements Channel {
  readonly name = 'webhook' as const;
  constructor(
    private readonly url: string,
    private readonly secret: string,
    private readonly format: WebhookFormat = 'standard',
    private readonly timeoutMs = 10_000,
    private readonly now: () => Date = () => new Date(),
  ) {}
  accepts(): boolean {
    return true;
  }
  body(n: Notification): string {
    if (this.format === 'slack') return JSON.stringify({ text: plainText(n) });
    const type = n.kind === 'approval-link' ? 'approval.requested' : n.kind === 'approval-reminder' ? 'approval.reminder' : 'approval.expired';
    return JSON.stringify({
      type,
      timestamp: this.now().toISOString(),
      data: {
        model: n.model,
        version: n.version,
        ...(n.approver ? { approver: n.approver.subject, displayName: n.approver.displayName } : {}),
        ...(n.linkId ? { linkId: n.linkId } : {}),
        ...(n.url ? { url: n.url } : {}),
        ...(n.expiresAt ? { expiresAt: n.expiresAt } : {}),
        ...(n.requestedBy ? { requestedBy: n.requestedBy } : {}),
        ...(n.reminder ? { reminder: n.reminder } : {}),
        ...(n.pending ? { pending: n.pending } : {}),
      },
    });
  }
  async deliver(n: Notification): Promise<void> {
    const body = this.body(n);
    const ts = Math.floor(this.now().getTime() / 1000);
    let res: Response;
    try {
      res = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'model-ledger-notifier', ...webhookHeaders(this.secret, `msg_${n.deliveryId}`, ts, body) },
        body,
        redirect: 'error',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      throw new Error(`webhook: ${cause ?? (err as Error).name}`);
    }
    await res.body?.cancel().catch(() => undefined);
    if (res.status < 200 || res.status >= 300) throw new Error(`webhook: receiver answered ${res.status}`);
  }
}
