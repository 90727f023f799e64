import { Injectable } from '@nestjs/common';
import { invalid } from '#domain';
import { AuditHistory, parseInstant, presentState, type Cut } from '../../application/audit-history.js';

@Injectable()
export class AuditStateHandler {
  constructor(private readonly history: AuditHistory) {}

  async handle(model: string, q: { at?: string; position?: number }) {
    if (q.at !== undefined && q.position !== undefined) {
      throw invalid('AMBIGUOUS_CUT', 'give either at or position, not both', [{ field: 'position', rule: 'exclusive', message: 'not allowed together with at' }]);
    }
    const cut: Cut | undefined = q.at !== undefined ? { at: parseInstant(q.at, 'at') } : q.position !== undefined ? { position: q.position } : undefined;
    const h = await this.history.stateAt(model, cut);
    const { data: _data, ...lastEvent } = h.lastEvent;
    return { model, ...(cut ? { cut } : {}), lastEventIncluded: lastEvent, eventsReplayed: h.eventCount, state: presentState(h.state) };
  }
}
