import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import {
  APPROVAL_SYSTEM_ACTOR,
  DomainError,
  NOTIFIER_ACTOR,
  decideNotificationOutcome,
  deliveryStatus,
  evolveNotification,
  initialNotificationState,
  isModelStream,
  modelNameOfStream,
  notificationStream,
  type ApprovalEventDataMap,
  type ApproverDirectory,
  type NotificationKind,
  type NotificationState,
} from '#domain';
import { WrongExpectedRevisionError, appendDecision, subscribeToAll, type EventStore, type RecordedEvent, type Subscription } from '#event-store';
import type { Channel, Notification } from '#notifications';
import { Mutex, PostgresDb, type SqlDb } from '#persistence';
import { LocalLease, PgAdvisoryLease, RelayCheckpoints, type Lease } from '#relay';
import type { AppConfig } from '#config';
import { APPROVERS, APP_CONFIG, CLOCK, EVENT_STORE, ID_GENERATOR, SQL_DB, type Clock, type IdGenerator } from '../infrastructure/tokens.js';
import { ApprovalLinks, type IssuedLinkData } from './approval-links.js';
import { ApprovalRequests } from './approval-requests.js';
import { ApprovalScheduler } from './approval-scheduler.js';
import { NotificationChannels } from './notification-channels.js';

/** Checkpoint name in relay_checkpoints (shared table of the store's subscribers). */
export const DISPATCHER_CHECKPOINT = 'notifications';
const MAX_BACKOFF_MS = 10 * 60_000;

interface Target {
  approver?: string;
  linkId?: string;
  issued?: IssuedLinkData;
}
interface Delivery {
  trigger: RecordedEvent;
  kind: NotificationKind;
  model: string;
  version: string;
  target: Target;
  channel: Channel;
  extra: Partial<Notification>;
}

/**
 * Delivers approval links, reminders and expiry notices from the event store, and asks for
 * approval when a version becomes ready. It follows $all from a durable checkpoint (at least
 * once); each attempt is a NotificationSent/NotificationFailed event, retried with exponential
 * backoff and dead-lettered after NOTIFY_MAX_ATTEMPTS. The checkpoint never passes an event that
 * still has a delivery in flight, so a restart resumes it. Writes never wait for any of this.
 */
@Injectable()
export class NotificationDispatcher implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('notifications');
  private readonly checkpoints: RelayCheckpoints;
  private readonly lease: Lease;
  private readonly recordLock = new Mutex();
  private readonly inflight = new Map<string, { position: number; outstanding: number }>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private sub?: Subscription;
  private leaseTimer?: NodeJS.Timeout;
  private handled = 0;
  private savedAt = 0;
  private stopped = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(SQL_DB) db: SqlDb,
    @Inject(ID_GENERATOR) private readonly ids: IdGenerator,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APPROVERS) private readonly directory: ApproverDirectory,
    private readonly channels: NotificationChannels,
    private readonly links: ApprovalLinks,
    private readonly requests: ApprovalRequests,
    private readonly scheduler: ApprovalScheduler,
  ) {
    this.checkpoints = new RelayCheckpoints(db);
    this.lease = db instanceof PostgresDb ? new PgAdvisoryLease(config.DATABASE_URL!, DISPATCHER_CHECKPOINT) : new LocalLease();
  }

  async onApplicationBootstrap(): Promise<void> {
    let from = await this.checkpoints.get(DISPATCHER_CHECKPOINT);
    // First start on an existing ledger: links issued before the dispatcher existed are not re-sent.
    if (from === 0) {
      from = await this.store.headPosition();
      await this.checkpoints.advance(DISPATCHER_CHECKPOINT, from, this.clock.now());
    }
    this.handled = from;
    await this.startWhenLeaseHeld(from);
  }

  private async startWhenLeaseHeld(from: number): Promise<void> {
    if (this.stopped) return;
    if (await this.lease.acquire().catch(() => false)) {
      this.sub = subscribeToAll(this.store, { fromPosition: from, batchSize: 200, pollMs: 1000, retryMs: 2000, onError: (err) => this.log.error(`dispatch failed, retrying: ${String(err)}`) }, (events) => this.handle(events));
      return;
    }
    // Another replica dispatches; take over when it goes away.
    this.leaseTimer = setTimeout(() => void this.startWhenLeaseHeld(from), 5000);
    this.leaseTimer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    if (this.leaseTimer) clearTimeout(this.leaseTimer);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await this.sub?.stop();
    await this.recordLock.run(async () => undefined);
    await this.lease.release().catch(() => undefined);
  }

  private async handle(events: RecordedEvent[]): Promise<void> {
    let relevant = false;
    for (const e of events) {
      relevant = (await this.react(e)) || relevant;
      this.handled = e.position;
    }
    // Handling is idempotent, so between relevant events the checkpoint is saved at most every few seconds (not one write per append).
    const now = Date.now();
    if (relevant || now - this.savedAt > 5000) {
      this.savedAt = now;
      await this.saveCheckpoint();
    }
  }

  private async saveCheckpoint(): Promise<void> {
    let safe = this.handled;
    for (const f of this.inflight.values()) safe = Math.min(safe, f.position - 1);
    await this.checkpoints.advance(DISPATCHER_CHECKPOINT, safe, this.clock.now());
  }

  /** Acts on one event; true when it was one this dispatcher cares about. */
  private async react(e: RecordedEvent): Promise<boolean> {
    this.scheduler.observe(e);
    if (this.config.APPROVAL_REQUESTS_AUTO === 'true' && isModelStream(e.stream) && (e.type === 'VersionRegistered' || e.type === 'GatePassed')) {
      // Nobody to ask for this model (e.g. no directory): nothing to load.
      if (this.directory.approversFor(modelNameOfStream(e.stream)!).length === 0) return false;
      await this.autoRequest(e);
      return true;
    }
    switch (e.type) {
      case 'ApprovalLinkIssued': {
        const d = e.data as IssuedLinkData;
        await this.dispatch(e, 'approval-link', d.model, d.version, [{ approver: d.approver, linkId: d.jti, issued: d }], { ...(await this.requestedBy(e)) });
        return true;
      }
      case 'ApprovalReminderSent': {
        const d = e.data as ApprovalEventDataMap['ApprovalReminderSent'];
        const targets: Target[] = [];
        for (const l of d.links) {
          const history = await this.links.history(l.linkId);
          if (history.issued && !history.used) targets.push({ approver: l.approver, linkId: l.linkId, issued: history.issued.data });
        }
        await this.dispatch(e, 'approval-reminder', d.model, d.version, targets, { reminder: d.reminder });
        return true;
      }
      case 'ApprovalRequestExpired': {
        const d = e.data as ApprovalEventDataMap['ApprovalRequestExpired'];
        await this.dispatch(e, 'approval-expired', d.model, d.version, [{}], { pending: d.pending });
        return true;
      }
    }
    return false;
  }

  private async autoRequest(e: RecordedEvent): Promise<void> {
    const model = modelNameOfStream(e.stream)!;
    const version = (e.data as { version: string }).version;
    try {
      const unreachable = this.directory.approversFor(model).filter((p) => this.channels.for(p.subject).length === 0).map((p) => p.subject);
      if (unreachable.length) this.log.warn(`approvers of ${model} that no delivery channel reaches are not asked: ${unreachable.join(', ')}`);
      await this.requests.request(model, { version, trigger: 'automatic', unreachable }, { actor: { sub: APPROVAL_SYSTEM_ACTOR, scopes: [] }, correlationId: e.metadata.correlationId, causationId: e.id });
    } catch (err) {
      // The version moved on (decided, archived) before the request: nothing to ask.
      if (!(err instanceof DomainError)) throw err;
    }
  }

  /** Who asked, as the message says it: a person, or nobody in particular when the registry asked by itself. */
  private async requestedBy(e: RecordedEvent): Promise<{ requestedBy?: string }> {
    const sub = e.metadata.actor?.sub;
    return sub && sub !== APPROVAL_SYSTEM_ACTOR ? { requestedBy: sub } : {};
  }

  private async dispatch(trigger: RecordedEvent, kind: NotificationKind, model: string, version: string, targets: Target[], extra: Partial<Notification>): Promise<void> {
    const state = await this.notificationState(trigger.id);
    const deliveries: Delivery[] = [];
    for (const target of targets) {
      const person = target.approver ? this.directory.person(target.approver) : undefined;
      const probe: Notification = { deliveryId: '', kind, model, version, ...(person ? { approver: person } : {}) };
      for (const channel of this.channels.all) {
        if (!channel.accepts(probe)) continue;
        if (deliveryStatus(state, { channel: channel.name, ...(target.approver ? { approver: target.approver } : {}) }).done) continue;
        deliveries.push({ trigger, kind, model, version, target, channel, extra });
      }
    }
    if (deliveries.length === 0) return;
    this.inflight.set(trigger.id, { position: trigger.position, outstanding: deliveries.length });
    // Channels and approvers of one event are tried side by side; their outcomes are appended one at a time.
    await Promise.all(deliveries.map((d) => this.attempt(d)));
  }

  private async attempt(d: Delivery): Promise<void> {
    if (this.stopped) return;
    const person = d.target.approver ? this.directory.person(d.target.approver) : undefined;
    let ok = true;
    let error: string | undefined;
    let final = false;
    const refusal = this.undeliverable(d, person !== undefined);
    if (refusal) {
      ok = false;
      final = true;
      error = refusal;
    } else {
      try {
        const n: Notification = {
          deliveryId: `${d.trigger.id}.${d.channel.name}${d.target.approver ? `.${Buffer.from(d.target.approver).toString('base64url')}` : ''}`,
          kind: d.kind,
          model: d.model,
          version: d.version,
          ...(person ? { approver: person } : {}),
          ...(d.target.linkId ? { linkId: d.target.linkId } : {}),
          ...(d.target.issued ? { url: await this.links.urlFor(d.target.issued), expiresAt: d.target.issued.expiresAt } : {}),
          ...d.extra,
        };
        await d.channel.deliver(n);
      } catch (err) {
        ok = false;
        error = (err as Error).message;
      }
    }
    const recorded = await this.record(d, ok, error, final);
    if (!recorded) return;
    if (recorded.done) return this.settled(d.trigger.id);
    const delay = Math.min(MAX_BACKOFF_MS, this.config.NOTIFY_RETRY_BASE_MS * 2 ** (recorded.attempts - 1));
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.attempt(d).catch((err) => this.log.error(`notification retry failed: ${String(err)}`));
    }, delay);
    timer.unref();
    this.timers.add(timer);
  }

  /** A link is only ever sent to an approver of the model who did not issue it (also for links recorded before these rules). */
  private undeliverable(d: Delivery, known: boolean): string | undefined {
    const approver = d.target.approver;
    if (!approver) return undefined;
    if (!known) return `${approver} is not in the approver directory`;
    if (!this.directory.mayApprove(approver, d.model)) return `${approver} may not approve ${d.model}`;
    if (d.target.issued && d.trigger.type === 'ApprovalLinkIssued' && d.trigger.metadata.actor?.sub === approver) return `${approver} issued this link and may not receive it`;
    return undefined;
  }

  private async settled(triggerId: string): Promise<void> {
    const f = this.inflight.get(triggerId);
    if (!f) return;
    if (--f.outstanding > 0) return;
    this.inflight.delete(triggerId);
    if (!this.stopped) await this.saveCheckpoint().catch(() => undefined);
  }

  private async notificationState(triggerId: string): Promise<NotificationState> {
    const events = await this.store.readStream(notificationStream(triggerId));
    return events.reduce((s, e) => evolveNotification(s, { type: e.type, data: e.data, revision: e.revision } as never), initialNotificationState());
  }

  /** Appends the outcome of one attempt through the notification decider; returns the delivery's status after it. */
  private async record(d: Delivery, ok: boolean, error: string | undefined, final: boolean) {
    if (this.stopped) return undefined;
    return this.recordLock.run(async () => {
      const key = { channel: d.channel.name, ...(d.target.approver ? { approver: d.target.approver } : {}) };
      let attempts = 0;
      try {
        const outcome = await appendDecision(
          this.store,
          {
            stream: notificationStream(d.trigger.id),
            load: async () => {
              const state = await this.notificationState(d.trigger.id);
              return { state, revision: state.revision, position: 0 };
            },
            decide: (state) => {
              attempts = deliveryStatus(state, key).attempts + 1;
              const delay = Math.min(MAX_BACKOFF_MS, this.config.NOTIFY_RETRY_BASE_MS * 2 ** (attempts - 1));
              return decideNotificationOutcome(state, {
                facts: { trigger: d.trigger.id, kind: d.kind, channel: d.channel.name, model: d.model, version: d.version, ...(d.target.approver ? { approver: d.target.approver } : {}), ...(d.target.linkId ? { linkId: d.target.linkId } : {}) },
                ok,
                ...(error ? { error } : {}),
                maxAttempts: final ? attempts : this.config.NOTIFY_MAX_ATTEMPTS,
                nextAttemptAt: new Date(this.clock.now().getTime() + delay),
              });
            },
          },
          { newId: () => this.ids.next(), metadata: { actor: { sub: NOTIFIER_ACTOR, scopes: [] }, correlationId: d.trigger.metadata.correlationId, causationId: d.trigger.id } },
        );
        if (outcome.kind !== 'appended') return { done: true, attempts: attempts - 1 };
        const { state } = outcome.loaded;
        const after = outcome.events.reduce((s, e, i) => evolveNotification(s, { ...e, revision: state.revision + 1 + i } as never), state);
        if (!ok) this.log.warn(`notification ${d.kind} for ${d.model} ${d.version} via ${d.channel.name} failed (attempt ${attempts}): ${error}`);
        return deliveryStatus(after, key);
      } catch (err) {
        // Other writers kept moving the stream: the outcome is recorded by whoever got there.
        if (err instanceof WrongExpectedRevisionError) return undefined;
        throw err;
      }
    });
  }
}

