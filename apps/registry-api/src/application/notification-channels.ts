import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { join } from 'node:path';
import type { ApproverDirectory, NotificationChannel } from '#domain';
import { OutboxChannel, SmtpChannel, WebhookChannel, type Channel, type Notification } from '#notifications';
import { outboxEnabled, type AppConfig } from '#config';
import { APPROVERS, APP_CONFIG } from '../infrastructure/tokens.js';

export const OUTBOX_FILE = join('outbox', 'approval-links.jsonl');

/** The delivery channels configured for this process: SMTP, webhook, or the development outbox. */
@Injectable()
export class NotificationChannels implements OnApplicationShutdown {
  readonly all: Channel[] = [];

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(APPROVERS) private readonly directory: ApproverDirectory,
  ) {
    if (config.SMTP_URL) this.all.push(new SmtpChannel(config.SMTP_URL, config.MAIL_FROM));
    // The signature timestamp is wall-clock time: receivers judge replays by their own clock.
    if (config.WEBHOOK_URL) this.all.push(new WebhookChannel(config.WEBHOOK_URL, config.WEBHOOK_SECRET!, config.WEBHOOK_FORMAT));
    if (outboxEnabled(config)) this.all.push(new OutboxChannel(join(config.DATA_DIR, OUTBOX_FILE)));
  }

  /** The channels that can reach this approver with a link. */
  for(subject: string): NotificationChannel[] {
    const person = this.directory.person(subject);
    const probe: Notification = { deliveryId: '', kind: 'approval-link', model: '', version: '', ...(person ? { approver: person } : {}) };
    return this.all.filter((c) => c.accepts(probe)).map((c) => c.name);
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all(this.all.map((c) => c.close?.()));
  }
}
