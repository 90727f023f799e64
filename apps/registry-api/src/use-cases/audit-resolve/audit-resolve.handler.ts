import { Inject, Injectable } from '@nestjs/common';
import { notFound, type VersionState, parseRange, satisfies, compareVersionStrings } from '#domain';
import type { RecordedEvent } from '#event-store';
import { AuditHistory, latestInStage, parseInstant, summarise } from '../../application/audit-history.js';
import { CLOCK, type Clock } from '../../infrastructure/tokens.js';
import { parseModelUri } from '../shared/model-uri.js';

const versionOfEvent = (e: RecordedEvent): string | undefined => {
  const d = e.data as { version?: string; toVersion?: string };
  return e.type === 'RolledBack' ? d.toVersion : d.version;
};
const lastOf = (events: RecordedEvent[], test: (e: RecordedEvent) => boolean) => {
  for (let i = events.length - 1; i >= 0; i--) if (test(events[i])) return events[i];
  return undefined;
};

/**
 * "Which version served churn@prod at T, what produced it, and who approved and promoted it?"
 * answered from the event store in one call.
 */
@Injectable()
export class AuditResolveHandler {
  constructor(
    private readonly history: AuditHistory,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async handle(uri: string, atParam?: string) {
    const ref = parseModelUri(uri);
    const at = atParam !== undefined ? parseInstant(atParam, 'at') : this.clock.now().toISOString();
    const h = await this.history.historyAt(ref.name, { at });
    let v: VersionState | undefined;
    if (ref.kind === 'alias') v = h.state.versions[h.state.aliases[ref.alias] ?? ''];
    else if (ref.kind === 'version') v = h.state.versions[ref.version];
    else if (ref.kind === 'range') {
      // As /v1/resolve does: the highest version in the range that was in Production then.
      const range = parseRange(ref.range)!;
      v = Object.values(h.state.versions)
        .filter((x) => x.stage === 'Production' && satisfies(x.version, range))
        .sort((a, b) => compareVersionStrings(b.version, a.version))[0];
    } else v = latestInStage(h.state, ref.stage);
    if (!v) throw notFound('MODEL_URI_NOT_FOUND_AT', `${uri} did not resolve to any version at ${at}`, { uri, at });
    const version = v.version;
    const mine = h.events.filter((e) => versionOfEvent(e) === version);
    const aliasSet =
      ref.kind === 'alias'
        ? lastOf(h.events, (e) => e.type === 'AliasSet' && (e.data as { alias: string }).alias === ref.alias && versionOfEvent(e) === version)
        : undefined;
    const promoted = lastOf(mine, (e) => e.type === 'VersionPromoted');
    const rollback = promoted && lastOf(mine, (e) => e.type === 'RolledBack' && e.metadata.correlationId === promoted.metadata.correlationId);
    const { data: _d, ...asOf } = h.lastEvent;
    return {
      uri,
      at,
      resolved: {
        model: ref.name,
        version,
        stage: v.stage,
        approvalStatus: v.approvalStatus,
        artifact: v.artifact,
        registeredBy: v.registeredBy,
        registeredAt: v.registeredAt,
      },
      lineage: v.lineage,
      /** When the URI started pointing at this version. */
      since: (aliasSet ?? promoted)?.recordedAt ?? v.registeredAt,
      aliasSet: aliasSet ? summarise(aliasSet) : null,
      promotion: promoted
        ? { kind: rollback ? 'rollback' : 'promotion', ...summarise(promoted), ...(rollback ? { rollback: summarise(rollback) } : {}) }
        : null,
      approvals: mine.filter((e) => ['ApprovalRecorded', 'VersionApproved', 'VersionRejected'].includes(e.type)).map(summarise),
      gates: mine.filter((e) => e.type === 'GatePassed' || e.type === 'GateFailed').map(summarise),
      registration: summarise(mine.find((e) => e.type === 'VersionRegistered')!),
      asOf,
    };
  }
}
