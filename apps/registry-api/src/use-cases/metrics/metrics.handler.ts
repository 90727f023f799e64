import { Inject, Injectable, Optional } from '@nestjs/common';
import type { EventStore } from '../../../../../libs/event-store/src/index.js';
import { Projector } from '../../../../../libs/read-models/src/index.js';
import type { Relay } from '../../../../../libs/relay/src/index.js';
import { RELAY } from '../../infrastructure/relay.module.js';
import { EVENT_STORE } from '../../infrastructure/tokens.js';

type Sample = { name: string; help: string; type: 'gauge' | 'counter'; value: number; labels?: Record<string, string> };

/** Renders the Prometheus text exposition format (version 0.0.4). */
export function renderPrometheus(samples: Sample[]): string {
  const lines: string[] = [];
  for (const s of samples) {
    lines.push(`# HELP ${s.name} ${s.help}`, `# TYPE ${s.name} ${s.type}`);
    const labels = s.labels ? `{${Object.entries(s.labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`).join(',')}}` : '';
    lines.push(`${s.name}${labels} ${Number.isFinite(s.value) ? s.value : 'NaN'}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Lag of everything that follows the event store: the read-model projector and the Kafka relay. */
@Injectable()
export class MetricsHandler {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly projector: Projector,
    @Optional() @Inject(RELAY) private readonly relay?: Relay | null,
  ) {}

  async handle(): Promise<string> {
    const head = await this.store.headPosition();
    const projected = Math.max(0, this.projector.status().position);
    const samples: Sample[] = [
      { name: 'model_ledger_event_store_head_position', help: 'Global position of the newest event', type: 'gauge', value: head },
      { name: 'model_ledger_projection_position', help: 'Position the read models have reached', type: 'gauge', value: projected },
      { name: 'model_ledger_projection_lag_events', help: 'Events not yet in the read models', type: 'gauge', value: Math.max(0, head - projected) },
    ];
    if (this.relay) {
      const s = this.relay.status();
      const lag = await this.relay.lag();
      const labels = { relay: s.name };
      samples.push(
        { name: 'model_ledger_relay_events_behind', help: 'Events not yet acknowledged by Kafka', type: 'gauge', value: lag.eventsBehind, labels },
        { name: 'model_ledger_relay_seconds_behind', help: 'Age in seconds of the oldest unpublished event', type: 'gauge', value: lag.secondsBehind, labels },
        { name: 'model_ledger_relay_leader', help: '1 when this process holds the relay lease', type: 'gauge', value: s.leader ? 1 : 0, labels },
        { name: 'model_ledger_relay_published_total', help: 'Events published by this process', type: 'counter', value: s.published, labels },
        { name: 'model_ledger_relay_consecutive_failures', help: 'Publish attempts failed in a row', type: 'gauge', value: s.consecutiveFailures, labels },
      );
    }
    return renderPrometheus(samples);
  }
}
