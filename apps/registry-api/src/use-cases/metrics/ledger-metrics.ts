import { Inject, Injectable, Optional, type OnModuleDestroy } from '@nestjs/common';
import type { Counter, Histogram, Meter } from '@opentelemetry/api';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import type { EventStore } from '#event-store';
import { Projector } from '#read-models';
import type { Relay } from '#relay';
import { RELAY } from '../../infrastructure/relay.module.js';
import { EVENT_STORE } from '../../infrastructure/tokens.js';
import { metricReadersFromEnv, telemetryResource } from '#observability';

/** Stored event type → approval outcome label. */
const APPROVAL_OUTCOMES: Record<string, string> = {
  ApprovalRecorded: 'approval_recorded',
  VersionApproved: 'approved',
  VersionRejected: 'rejected',
  ApprovalLinkUsed: 'decided_by_link',
  ApprovalRequestExpired: 'expired',
};
/** Stored event types that open an approval request, → how it was requested. */
const APPROVAL_REQUESTS: Record<string, string> = { ApprovalRequested: 'request' };

export type NotificationChannel = 'email' | 'webhook' | 'outbox' | (string & {});
export type NotificationOutcome = 'delivered' | 'failed' | 'retrying' | 'dead' | (string & {});

/**
 * The OpenTelemetry metrics SDK for this process: one MeterProvider whose readers are the
 * Prometheus exporter behind GET /metrics (pull, always on) and OTLP/console from
 * OTEL_METRICS_EXPORTER (push). One instance per app, so tests running several apps in one
 * process do not mix their counts.
 *
 * Recorded here: append latency and events appended by type (every append of this process goes
 * through `instrumentStore`), promotions refused by unmet requirement, approval requests and
 * outcomes and notification deliveries (from the appended events: ApprovalRequested,
 * ApprovalLinkUsed, VersionApproved/Rejected, ApprovalRequestExpired, NotificationSent/Failed),
 * and the lag of projections and relay (observed at collection).
 */
@Injectable()
export class LedgerMetrics implements OnModuleDestroy {
  private readonly prometheus = new PrometheusExporter({ preventServerStart: true });
  // No otel_scope_* labels: one scope, and the series keep the names dashboards already use.
  private readonly serializer = new PrometheusSerializer('', false, undefined, false, true);
  private readonly provider: MeterProvider;
  readonly meter: Meter;
  private readonly appendDuration: Histogram;
  private readonly eventsAppended: Counter;
  private readonly promotionsRefused: Counter;
  private readonly approvalRequests: Counter;
  private readonly approvalOutcomes: Counter;
  private readonly notificationDeliveries: Counter;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly projector: Projector,
    @Optional() @Inject(RELAY) private readonly relay?: Relay | null,
  ) {
    this.provider = new MeterProvider({ resource: telemetryResource('model-ledger-api'), readers: [this.prometheus, ...metricReadersFromEnv()] });
    this.meter = this.provider.getMeter('model-ledger');
    const m = this.meter;
    this.appendDuration = m.createHistogram('model_ledger_append_duration_seconds', {
      description: 'Event-store append latency (one transaction, hash chain included)',
      unit: 's',
      advice: { explicitBucketBoundaries: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] },
    });
    this.eventsAppended = m.createCounter('model_ledger_events_appended', { description: 'Events appended, by event type' });
    this.promotionsRefused = m.createCounter('model_ledger_promotions_refused', { description: 'Promotions refused, by unmet requirement (one refusal can count several)' });
    this.approvalRequests = m.createCounter('model_ledger_approval_requests', { description: 'Approval requests opened, by how they were requested' });
    this.approvalOutcomes = m.createCounter('model_ledger_approval_outcomes', { description: 'Approval decisions and request outcomes, by outcome' });
    this.notificationDeliveries = m.createCounter('model_ledger_notification_deliveries', { description: 'Notification delivery attempts, by channel and outcome' });
    // Present (at 0) before the first delivery, so dashboards and alerts have a series to watch.
    for (const channel of ['email', 'webhook', 'outbox']) this.notificationDeliveries.add(0, { channel, outcome: 'delivered' });

    m.createObservableGauge('model_ledger_event_store_head_position', { description: 'Global position of the newest event' }).addCallback(async (o) => {
      o.observe(await this.store.headPosition());
    });
    m.createObservableGauge('model_ledger_projection_position', { description: 'Position the read models have reached' }).addCallback((o) => {
      o.observe(Math.max(0, this.projector.status().position));
    });
    m.createObservableGauge('model_ledger_projection_lag_events', { description: 'Events not yet in the read models' }).addCallback(async (o) => {
      o.observe((await this.projector.lag()).events);
    });
    if (this.relay) {
      const relay = this.relay;
      const labels = () => ({ relay: relay.status().name });
      m.createObservableGauge('model_ledger_relay_events_behind', { description: 'Events not yet acknowledged by Kafka' }).addCallback(async (o) => {
        o.observe((await relay.lag()).eventsBehind, labels());
      });
      m.createObservableGauge('model_ledger_relay_seconds_behind', { description: 'Age in seconds of the oldest unpublished event', unit: 's' }).addCallback(async (o) => {
        o.observe((await relay.lag()).secondsBehind, labels());
      });
      m.createObservableGauge('model_ledger_relay_leader', { description: '1 when this process holds the relay lease' }).addCallback((o) => {
        o.observe(relay.status().leader ? 1 : 0, labels());
      });
      m.createObservableCounter('model_ledger_relay_published', { description: 'Events published by this process' }).addCallback((o) => {
        o.observe(relay.status().published, labels());
      });
      m.createObservableGauge('model_ledger_relay_consecutive_failures', { description: 'Publish attempts failed in a row' }).addCallback((o) => {
        o.observe(relay.status().consecutiveFailures, labels());
      });
    }
    this.instrumentStore(store);
  }

  /** Resolve answers written by the HTTP server from the resolve index (they pass no request hook). */
  observeResolveEdge(served: () => { ok: number; notModified: number }): void {
    this.meter
      .createObservableCounter('model_ledger_resolve_index_answers', { description: 'Resolve answers served from the resolve index before the framework, by status' })
      .addCallback((o) => {
        const { ok, notModified } = served();
        o.observe(ok, { status: '200' });
        o.observe(notModified, { status: '304' });
      });
  }

  /** Every append of this process (commands, approvals, policy, checkpoints) passes here: single- or multi-stream. */
  private instrumentStore(store: EventStore): void {
    const timed = async <T>(events: readonly { type: string; data: unknown }[], append: () => Promise<T>): Promise<T> => {
      const started = performance.now();
      let outcome = 'ok';
      try {
        const result = await append();
        for (const e of events) this.eventAppended(e.type, e.data);
        return result;
      } catch (err) {
        outcome = err instanceof Error && 'code' in err ? String((err as { code: unknown }).code) : 'error';
        throw err;
      } finally {
        this.appendDuration.record((performance.now() - started) / 1000, { outcome });
      }
    };
    const append = store.append.bind(store);
    const appendAll = store.appendAll.bind(store);
    store.append = (stream, events, options) => timed(events, () => append(stream, events, options));
    store.appendAll = (appends) => timed(appends.flatMap((a) => a.events), () => appendAll(appends));
  }

  private eventAppended(type: string, data: unknown): void {
    this.eventsAppended.add(1, { type });
    // The notification dispatcher records each attempt as an event: counted here, whoever appends.
    if (type === 'NotificationSent' || type === 'NotificationFailed') {
      const d = data as { channel?: string; final?: boolean };
      this.notificationDelivery(d.channel ?? 'unknown', type === 'NotificationSent' ? 'delivered' : d.final ? 'dead' : 'failed');
    }
    const requested = APPROVAL_REQUESTS[type];
    if (requested) this.approvalRequests.add(1, { via: requested });
    const outcome = APPROVAL_OUTCOMES[type];
    if (outcome) this.approvalOutcomes.add(1, { outcome });
  }

  /** A promotion refused by the policy checklist: one count per unmet requirement (rule code). */
  promotionRefused(requirements: readonly string[]): void {
    for (const requirement of new Set(requirements)) this.promotionsRefused.add(1, { requirement });
  }

  /** For the notification dispatcher: one call per delivery attempt. */
  notificationDelivery(channel: NotificationChannel, outcome: NotificationOutcome): void {
    this.notificationDeliveries.add(1, { channel, outcome });
  }

  /** Prometheus text exposition of everything above. */
  async prometheusText(): Promise<string> {
    const { resourceMetrics } = await this.prometheus.collect();
    return this.serializer.serialize(resourceMetrics);
  }

  async onModuleDestroy(): Promise<void> {
    await this.provider.shutdown().catch(() => undefined);
  }
}
