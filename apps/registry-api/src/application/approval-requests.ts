import { Inject, Injectable } from '@nestjs/common';
import {
  APPROVAL_SYSTEM_ACTOR,
  approvalLinkStream,
  approvalRequestStream,
  decideRequestApproval,
  decideRequestDeadlines,
  evolveApprovalRequest,
  initialApprovalRequestState,
  type ApprovalEvent,
  type ApprovalRequestState,
  type ModelState,
  type ApproverDirectory,
  type PromotionPolicy,
  type RequestedLink,
} from '#domain';
import { appendDecision, type EventMetadata, type EventStore, type Loaded } from '#event-store';
import { Mutex } from '#persistence';
import type { AppConfig } from '#config';
import { APPROVERS, APP_CONFIG, CLOCK, EVENT_STORE, ID_GENERATOR, POLICY, type Clock, type IdGenerator } from '../infrastructure/tokens.js';
import { CommandService } from './command-service.js';

const MAX_ATTEMPTS = 5;

export interface RequestOutcome {
  requestId?: string;
  links: RequestedLink[];
}

/**
 * Approval requests: load the model and the version's request stream, decide, append the request
 * and one ApprovalLinkIssued per link stream, all in one transaction. Delivery is not done here: the notification
 * dispatcher sends what the event store holds, so a slow or absent receiver never holds up a write.
 */
@Injectable()
export class ApprovalRequests {
  private readonly lock = new Mutex();

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(ID_GENERATOR) private readonly ids: IdGenerator,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(POLICY) private readonly policy: PromotionPolicy,
    @Inject(APPROVERS) readonly directory: ApproverDirectory,
    private readonly commands: CommandService,
  ) {}

  /** The model and the version's request stream, as one decision sees them (the append goes to the request stream). */
  private async loadBoth(model: string, version: string): Promise<Loaded<{ model: ModelState; request: ApprovalRequestState }>> {
    const { state } = await this.commands.load(model);
    const events = await this.store.readStream(approvalRequestStream(model, version));
    const request = events.reduce(
      (s, e) => evolveApprovalRequest(s, { type: e.type, data: e.data, revision: e.revision, recordedAt: e.recordedAt } as never),
      initialApprovalRequestState(),
    );
    return { state: { model: state, request }, revision: request.revision, position: events.at(-1)?.position ?? 0 };
  }

  /**
   * Manual (an issuer names approvers) or automatic (every eligible approver, once per version).
   * The request and one ApprovalLinkIssued per link (each link its own stream, so that using it
   * once is one append at its revision) land in one transaction.
   */
  async request(
    model: string,
    cmd: { version: string; trigger: 'automatic' | 'manual'; approvers?: string[]; ttlHours?: number; unreachable?: string[] },
    meta: EventMetadata,
  ): Promise<RequestOutcome> {
    return this.lock.run(async () => {
      const outcome = await appendDecision(
        this.store,
        {
          stream: approvalRequestStream(model, cmd.version),
          load: () => this.loadBoth(model, cmd.version),
          // A retried issuance whose first attempt landed (its process died before answering) gets
          // that request back: the same links, never a second set.
          ...(meta.idempotencyKey
            ? {
                landed: async () =>
                  (await this.store.findByIdempotencyKey(meta.idempotencyKey!)).filter(
                    (e) => e.stream === approvalRequestStream(model, cmd.version) && e.type === 'ApprovalRequested',
                  ),
              }
            : {}),
          decide: ({ model: state, request }) => {
            const count = cmd.trigger === 'manual' ? (cmd.approvers?.length ?? 0) : this.directory.approversFor(model).length;
            const decision = decideRequestApproval(
              state,
              request,
              {
                type: 'RequestApproval',
                requestId: this.ids.next(),
                version: cmd.version,
                trigger: cmd.trigger,
                requestedBy: meta.actor.sub,
                ...(cmd.approvers ? { approvers: cmd.approvers } : {}),
                linkIds: Array.from({ length: count }, () => this.ids.next()),
                now: this.clock.now(),
                ttlHours: cmd.ttlHours ?? this.config.APPROVAL_LINK_TTL_HOURS,
                remindAfterHours: this.config.APPROVAL_REMINDER_HOURS,
                ...(cmd.unreachable ? { unreachable: cmd.unreachable } : {}),
              },
              { directory: this.directory, policy: this.policy },
            );
            return {
              events: decision.request,
              alongside: decision.links.map((link) => ({ stream: approvalLinkStream(link.jti), events: [link.event], expectedRevision: 'no_stream' as const })),
            };
          },
        },
        { newId: () => this.ids.next(), metadata: meta, attempts: MAX_ATTEMPTS },
      );
      if (outcome.kind === 'unchanged') return { links: [] };
      const requested = (outcome.kind === 'replayed' ? outcome.landed[0] : outcome.events[0]) as unknown as Extract<ApprovalEvent, { type: 'ApprovalRequested' }>;
      return { requestId: requested.data.requestId, links: requested.data.links };
    });
  }

  /** Appends the reminders and expiries that are due for one version; `open`: whether anything can still fall due. */
  async deadlines(model: string, version: string, correlationId: string): Promise<{ due: ApprovalEvent[]; open: boolean }> {
    return this.lock.run(async () => {
      let open = false;
      const outcome = await appendDecision(
        this.store,
        {
          stream: approvalRequestStream(model, version),
          load: () => this.loadBoth(model, version),
          decide: ({ model: state, request }) => {
            const due = decideRequestDeadlines(state, request, { version, now: this.clock.now(), remindAfterHours: this.config.APPROVAL_REMINDER_HOURS });
            const v = state.versions[version];
            const expiring = new Set(due.filter((e) => e.type === 'ApprovalRequestExpired').map((e) => (e.data as { requestId: string }).requestId));
            open = v?.approvalStatus === 'PendingManualApproval' && v.stage !== 'Archived' && request.requests.some((r) => !r.expired && !expiring.has(r.requestId));
            return due;
          },
        },
        { newId: () => this.ids.next(), metadata: { actor: { sub: APPROVAL_SYSTEM_ACTOR, scopes: [] }, correlationId }, attempts: MAX_ATTEMPTS },
      );
      return { due: outcome.kind === 'appended' ? outcome.events : [], open };
    });
  }
}
