import { Inject, Injectable, Logger, Optional, type OnApplicationBootstrap } from '@nestjs/common';
import {
  DomainError,
  decide,
  fold,
  initialModelState,
  isModelStream,
  modelNameOfStream,
  modelStreamName,
  toModelEvent,
  type ModelCommand,
  type ModelEvent,
  type ModelState,
  type PromotionPolicy,
  type RecordedModelEvent,
} from '#domain';
import { appendDecision, type EventMetadata, type EventStore } from '#event-store';
import { type SqlDb } from '#persistence';
import { ModelStreamReader, Projector } from '#read-models';
import { EVENT_STORE, ID_GENERATOR, POLICY, SQL_DB, type IdGenerator } from '../infrastructure/tokens.js';
import { KeyedMutex } from './keyed-mutex.js';
import type { RequestContext } from './request-context.js';
import { LedgerMetrics } from '../use-cases/metrics/ledger-metrics.js';
import { withDbSpan, withSpan } from './tracing.js';

export interface CommandResult {
  events: RecordedModelEvent[];
  /** Global position of the last event written (or the current head of the stream when nothing changed). */
  position: number;
  revision: number;
  state: ModelState;
}

const MAX_ATTEMPTS = 5;
/** Warm-up before readiness: the model streams written by the last WARM_EVENTS events, at most WARM_STREAMS of them. */
const WARM_EVENTS = 5000;
/** Most model states kept by the command path. */
export const COMMAND_CACHE_MODELS = 1000;
const WARM_STREAMS = 200;

export interface WarmupStatus {
  status: 'warming' | 'ok' | 'failed';
  streams: number;
  error?: string;
}

/**
 * Load → decide → append → project. The model stream is the consistency boundary: the append
 * carries the revision the decision was made on, so a concurrent write makes it fail instead of
 * overwriting; the command is then decided again on the new state. Within one process commands
 * on the same model queue behind a per-model lock, so retries are only needed across replicas.
 * Projections are brought up to the new position before replying: a client reads its own write.
 */
@Injectable()
export class CommandService implements OnApplicationBootstrap {
  private readonly locks = new KeyedMutex();
  private readonly cache = new Map<string, { state: ModelState; position: number }>();
  private warmup: WarmupStatus = { status: 'warming', streams: 0 };
  private warming?: Promise<void>;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(ID_GENERATOR) private readonly ids: IdGenerator,
    @Inject(POLICY) private readonly policy: PromotionPolicy,
    private readonly projector: Projector,
    private readonly reader: ModelStreamReader,
    @Optional() @Inject(SQL_DB) private readonly db?: SqlDb,
    @Optional() private readonly metrics?: LedgerMetrics,
  ) {}

  private get dbSystem(): string {
    return this.db?.dialect === 'postgres' ? 'postgresql' : 'sqlite';
  }

  async execute(model: string, command: ModelCommand, requestCtx: RequestContext, reason?: string): Promise<CommandResult> {
    const stream = modelStreamName(model);
    return withSpan(`command ${command.type}`, requestCtx.traceparent, { 'ledger.model': model, 'ledger.command': command.type }, (span, traceparent) => {
      const ctx = { ...requestCtx, ...(traceparent ? { traceparent } : {}) };
      return this.locks.run(stream, async () => {
        const outcome = await appendDecision<ModelState, ModelEvent>(
          this.store,
          {
            stream,
            load: async () => {
              const { state, position } = await this.load(model, stream);
              return { state, revision: state.revision, position };
            },
            // A retry of a request whose events already landed (e.g. its process died before it
            // could answer) gets those events back, never a second write.
            ...(ctx.idempotencyKey
              ? { landed: async () => (await this.store.findByIdempotencyKey(ctx.idempotencyKey!)).filter((e) => e.stream === stream) }
              : {}),
            decide: (state) => {
              try {
                return decide(command, state, { actor: ctx.actor, policy: this.policy });
              } catch (err) {
                if (err instanceof DomainError && err.code === 'PROMOTION_REQUIREMENTS_UNMET') this.metrics?.promotionRefused(err.details.map((d) => d.rule));
                throw err;
              }
            },
          },
          {
            newId: () => this.ids.next(),
            metadata: metadataOf(ctx, reason),
            attempts: MAX_ATTEMPTS,
            around: (s, envelopes, append) => withDbSpan('append', this.dbSystem, 'events', { 'ledger.stream': s, 'db.operation.batch.size': envelopes.length }, append),
          },
        );
        const { state } = outcome.loaded;
        if (outcome.kind === 'unchanged') return { events: [], position: outcome.loaded.position, revision: state.revision, state };
        if (outcome.kind === 'replayed') {
          const last = outcome.landed[outcome.landed.length - 1];
          span.setAttributes({ 'ledger.position': last.position, 'ledger.idempotent_replay': true });
          await this.projector.catchUp(last.position);
          return { events: outcome.landed.map(toModelEvent), position: last.position, revision: last.revision, state };
        }
        const { result } = outcome;
        const recordedAt = new Date().toISOString();
        const events = outcome.events.map((e, i) => ({ ...e, recordedAt, actor: ctx.actor, revision: state.revision + 1 + i }) as RecordedModelEvent);
        span.setAttributes({ 'ledger.position': result.position, 'ledger.events': events.length, 'ledger.attempts': outcome.attempt });
        await withDbSpan('project', this.dbSystem, 'read_models', { 'ledger.position': result.position }, () => this.projector.catchUp(result.position));
        return { events, position: result.position, revision: result.revision, state: fold(state, events) };
      });
    });
  }

  /**
   * Readiness means writes at normal latency: the first write to a model folds its whole stream,
   * so the models written most recently are folded into the cache before /health/ready says ok.
   * Runs in the background: liveness answers meanwhile, and writes work (they load what they need).
   */
  onApplicationBootstrap(): void {
    this.warming = this.warm().then(
      (streams) => {
        this.warmup = { status: 'ok', streams };
      },
      (err: unknown) => {
        // A failed warm-up costs latency, not correctness: report it and be ready anyway.
        this.warmup = { status: 'failed', streams: 0, error: err instanceof Error ? err.message : String(err) };
        new Logger('CommandService').warn(`warm-up failed: ${this.warmup.error}`);
      },
    );
  }

  /** The warm-up state, after waiting up to `waitMs` for a warm-up in progress to end. */
  async warmupStatus(waitMs = 0): Promise<WarmupStatus> {
    if (this.warmup.status === 'warming' && this.warming && waitMs > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.warming, new Promise<void>((r) => (timer = setTimeout(r, waitMs)))]);
      clearTimeout(timer);
    }
    return this.warmup;
  }

  /** Folds the most recently written model streams into the cache; returns how many. */
  async warm(maxEvents = WARM_EVENTS, maxStreams = WARM_STREAMS): Promise<number> {
    const head = await this.store.headPosition();
    const recent = await this.store.readAll({ fromPosition: Math.max(0, head - maxEvents), limit: maxEvents });
    const streams: string[] = [];
    for (let i = recent.length - 1; i >= 0 && streams.length < maxStreams; i--) {
      const s = recent[i].stream;
      if (isModelStream(s) && !streams.includes(s)) streams.push(s);
    }
    for (const stream of streams) await this.load(modelNameOfStream(stream)!, stream);
    return streams.length;
  }

  /**
   * Current state of a model from its stream, read incrementally from a small cache. A model not
   * in the cache starts from the stream reader (the nearest snapshot, as time travel does), then
   * whatever landed since is folded on top.
   */
  async load(model: string, stream = modelStreamName(model)): Promise<{ state: ModelState; position: number }> {
    const cached = this.cache.get(stream) ?? (await this.reader.stateAt(model));
    const base = cached?.state ?? initialModelState(model);
    const fresh = await this.store.readStream(stream, { fromRevision: base.revision + 1 });
    // One fold over everything new: linear in what is new.
    const state = fresh.length ? fold(base, fresh.map(toModelEvent)) : base;
    const position = fresh.length ? fresh[fresh.length - 1].position : (cached?.position ?? 0);
    // Least recently used out: a model's state with its versions is tens of kilobytes, so a registry
    // with many active models is held to a bounded memory, and a miss costs one snapshot read.
    this.cache.delete(stream);
    this.cache.set(stream, { state, position });
    if (this.cache.size > COMMAND_CACHE_MODELS) this.cache.delete(this.cache.keys().next().value!);
    return { state, position };
  }
}

/** The envelope's who/why/where-from for a command from this request. */
function metadataOf(ctx: RequestContext, reason?: string): EventMetadata {
  return {
    actor: ctx.actor,
    correlationId: ctx.correlationId,
    ...(ctx.causationId ? { causationId: ctx.causationId } : {}),
    ...(reason ? { reason } : {}),
    ...(ctx.traceparent ? { traceparent: ctx.traceparent } : {}),
    ...(ctx.via ? { via: ctx.via } : {}),
    ...(ctx.idempotencyKey ? { idempotencyKey: ctx.idempotencyKey } : {}),
  };
}
