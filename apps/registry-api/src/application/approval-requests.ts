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
  type ApproverDirectory,
  type PromotionPolicy,
  type RequestedLink,
} from '#domain';
import { WrongExpectedRevisionError, envelopesOf, type EventMetadata, type EventStore, type NewEvent } from '#event-store';
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
 * and then one ApprovalLinkIssued per link stream. Delivery is not done here: the notification
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

  async loadRequest(model: string, version: string): Promise<ApprovalRequestState> {
    const events = await this.store.readStream(approvalRequestStream(model, version));
    return events.reduce((s, e) => evolveApprovalRequest(s, { type: e.type, data: e.data, revision: e.revision, recordedAt: e.recordedAt } as never), initialApprovalRequestState());
  }

  /** Manual (an issuer names approvers) or automatic (every eligible approver, once per version). */
  async request(
    model: string,
    cmd: { version: string; trigger: 'automatic' | 'manual'; approvers?: string[]; ttlHours?: number; unreachable?: string[] },
    meta: EventMetadata,
  ): Promise<RequestOutcome> {
    const stream = approvalRequestStream(model, cmd.version);
    return this.lock.run(async () => {
      for (let attempt = 1; ; attempt++) {
        const { state } = await this.commands.load(model);
        const request = await this.loadRequest(model, cmd.version);
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
        if (decision.request.length === 0) return { links: [] };
        const requested = decision.request[0] as Extract<ApprovalEvent, { type: 'ApprovalRequested' }>;
        const envelopes = this.envelopes(decision.request, meta);
        try {
          await this.store.append(stream, envelopes, { expectedRevision: request.revision === -1 ? 'no_stream' : request.revision });
        } catch (err) {
          if (err instanceof WrongExpectedRevisionError && attempt < MAX_ATTEMPTS) continue;
          throw err;
        }
        // Each link is its own stream, so that using it once is one append at its revision.
        for (const link of decision.links) {
          await this.store.append(approvalLinkStream(link.jti), this.envelopes([link.event], { ...meta, causationId: envelopes[0].id }), { expectedRevision: 'no_stream' });
        }
        return { requestId: requested.data.requestId, links: requested.data.links };
      }
    });
  }

  /** Appends the reminders and expiries that are due for one version; `open`: whether anything can still fall due. */
  async deadlines(model: string, version: string, correlationId: string): Promise<{ due: ApprovalEvent[]; open: boolean }> {
    const stream = approvalRequestStream(model, version);
    return this.lock.run(async () => {
      for (let attempt = 1; ; attempt++) {
        const { state } = await this.commands.load(model);
        const request = await this.loadRequest(model, version);
        const due = decideRequestDeadlines(state, request, { version, now: this.clock.now(), remindAfterHours: this.config.APPROVAL_REMINDER_HOURS });
        const v = state.versions[version];
        const expiring = new Set(due.filter((e) => e.type === 'ApprovalRequestExpired').map((e) => (e.data as { requestId: string }).requestId));
        const open = v?.approvalStatus === 'PendingManualApproval' && v.stage !== 'Archived' && request.requests.some((r) => !r.expired && !expiring.has(r.requestId));
        if (due.length === 0) return { due, open };
        try {
          await this.store.append(stream, this.envelopes(due, { actor: { sub: APPROVAL_SYSTEM_ACTOR, scopes: [] }, correlationId }), { expectedRevision: request.revision });
          return { due, open };
        } catch (err) {
          if (err instanceof WrongExpectedRevisionError && attempt < MAX_ATTEMPTS) continue;
          throw err;
        }
      }
    });
  }

  private envelopes(events: ApprovalEvent[], meta: EventMetadata): NewEvent[] {
    return envelopesOf(events, meta, () => this.ids.next());
  }
}
