import { Inject, Injectable } from '@nestjs/common';
import { fold, initialModelState, invalid, notFound, toModelEvent } from '#domain';
import { AuditHistory, parseInstant, summarise } from '../../application/audit-history.js';
import { CLOCK, type Clock } from '../../infrastructure/tokens.js';

export interface FieldChange {
  /** JSON Pointer (RFC 6901) into the model state. */
  path: string;
  before?: unknown;
  after?: unknown;
}

/** Bookkeeping that changes with every event and says nothing to an auditor. */
const IGNORED = new Set(['revision', 'digests', 'exists']);
const isPlain = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const pointer = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

export function diffValues(before: unknown, after: unknown, path = '', out: FieldChange[] = []): FieldChange[] {
  if (isPlain(before) && isPlain(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    for (const k of keys) if (!IGNORED.has(k)) diffValues(before[k], after[k], `${path}/${pointer(k)}`, out);
    return out;
  }
  if (JSON.stringify(before) !== JSON.stringify(after)) {
    out.push({ path, ...(before !== undefined ? { before } : {}), ...(after !== undefined ? { after } : {}) });
  }
  return out;
}

@Injectable()
export class AuditDiffHandler {
  constructor(
    private readonly history: AuditHistory,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async handle(model: string, fromParam: string, toParam?: string) {
    const from = parseInstant(fromParam, 'from');
    const to = toParam !== undefined ? parseInstant(toParam, 'to') : this.clock.now().toISOString();
    if (to < from) throw invalid('INVALID_RANGE', `to (${to}) is before from (${from})`, [{ field: 'to', rule: 'min', message: 'to must not be before from' }]);
    const upTo = await this.history.events(model, { at: to });
    if (upTo.length === 0) throw notFound('MODEL_NOT_FOUND_AT', `model '${model}' did not exist at ${to}`, { model });
    // Same cut rule as state-at: everything up to the last event recorded at or before `from`.
    let split = upTo.length;
    while (split > 0 && upTo[split - 1].recordedAt > from) split--;
    const beforeState = fold(initialModelState(model), upTo.slice(0, split).map(toModelEvent));
    const afterState = fold(beforeState, upTo.slice(split).map(toModelEvent));
    return { model, from, to, events: upTo.slice(split).map(summarise), changes: diffValues(beforeState, afterState) };
  }
}
