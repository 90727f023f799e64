import { Inject, Injectable } from '@nestjs/common';
import {
  EVENT_SCHEMA_VERSION,
  decide,
  evolve,
  initialModelState,
  modelStreamName,
  type ModelCommand,
  type ModelEvent,
  type ModelState,
  type PromotionPolicy,
  type RecordedModelEvent,
} from '../../../../libs/domain/src/index.js';
import { WrongExpectedRevisionError, type EventStore, type NewEvent, type RecordedEvent } from '../../../../libs/event-store/src/index.js';
import { Projector } from '../../../../libs/read-models/src/index.js';
import { EVENT_STORE, ID_GENERATOR, POLICY, type IdGenerator } from '../infrastructure/tokens.js';
import { KeyedMutex } from './keyed-mutex.js';
import type { RequestContext } from './request-context.js';
import { withSpan } from './tracing.js';

export interface CommandResult {
  events: RecordedModelEvent[];
  /** Global position of the last event written (or the current head of the stream when nothing changed). */
  position: number;
  revision: number;
  state: ModelState;
}

export function toModelEvent(e: RecordedEvent): RecordedModelEvent {
  return { type: e.type, data: e.data, recordedAt: e.recordedAt, actor: e.metadata.actor, revision: e.revision } as RecordedModelEvent;
}

const MAX_ATTEMPTS = 5;

/**
 * Load → decide → append → project. The model stream is the consistency boundary: the append
 * carries the revision the decision was made on, so a concurrent write makes it fail instead of
 * overwriting; the command is then decided again on the new state. Within one process commands
 * on the same model queue behind a per-model lock, so retries are only needed across replicas.
 * Projections are brought up to the new position before replying: a client reads its own write.
 */
@Injectable()
export class CommandService {
  private readonly locks = new KeyedMutex();
  private readonly cache = new Map<string, { state: ModelState; position: number }>();

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(ID_GENERATOR) private readonly ids: IdGenerator,
    @Inject(POLICY) private readonly policy: PromotionPolicy,
    private readonly projector: Projector,
  ) {}

  async execute(model: string, command: ModelCommand, requestCtx: RequestContext, reason?: string): Promise<CommandResult> {
    const stream = modelStreamName(model);
    return withSpan(`command ${command.type}`, requestCtx.traceparent, { 'ledger.model': model, 'ledger.command': command.type }, (span, traceparent) => {
      const ctx = { ...requestCtx, ...(traceparent ? { traceparent } : {}) };
      return this.locks.run(stream, async () => {
      for (let attempt = 1; ; attempt++) {
        const { state, position: statePosition } = await this.load(model, stream);
        const decided = decide(command, state, { actor: ctx.actor, policy: this.policy });
        if (decided.length === 0) return { events: [], position: statePosition, revision: state.revision, state };
        const envelopes = decided.map((e) => this.envelope(e, ctx, reason));
        try {
          const result = await this.store.append(stream, envelopes, {
            expectedRevision: state.revision === -1 ? 'no_stream' : state.revision,
          });
          const recordedAt = new Date().toISOString();
          const events = decided.map((e, i) => ({ ...e, recordedAt, actor: ctx.actor, revision: state.revision + 1 + i }) as RecordedModelEvent);
          span.setAttributes({ 'ledger.position': result.position, 'ledger.events': events.length, 'ledger.attempts': attempt });
          await this.projector.catchUp(result.position);
          return { events, position: result.position, revision: result.revision, state: events.reduce(evolve, state) };
        } catch (err) {
          // The cached state stays valid at its revision; the next load reads what landed since.
          if (err instanceof WrongExpectedRevisionError && attempt < MAX_ATTEMPTS) continue;
          throw err;
        }
      }
      });
    });
  }

  /** Current state of a model from its stream, read incrementally from a small cache. */
  async load(model: string, stream = modelStreamName(model)): Promise<{ state: ModelState; position: number }> {
    const cached = this.cache.get(stream);
    let state = cached?.state ?? initialModelState(model);
    let position = cached?.position ?? 0;
    const fresh = await this.store.readStream(stream, { fromRevision: state.revision + 1 });
    for (const e of fresh) {
      state = evolve(state, toModelEvent(e));
      position = e.position;
    }
    if (this.cache.size > 5000) this.cache.clear();
    this.cache.set(stream, { state, position });
    return { state, position };
  }

  private envelope(e: ModelEvent, ctx: RequestContext, reason?: string): NewEvent {
    return {
      id: this.ids.next(),
      type: e.type,
      schemaVersion: EVENT_SCHEMA_VERSION,
      data: e.data,
      metadata: {
        actor: ctx.actor,
        correlationId: ctx.correlationId,
        ...(ctx.causationId ? { causationId: ctx.causationId } : {}),
        ...(reason ? { reason } : {}),
        ...(ctx.traceparent ? { traceparent: ctx.traceparent } : {}),
        ...(ctx.via ? { via: ctx.via } : {}),
      },
    };
  }
}
