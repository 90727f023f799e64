import type { SqlDb, SqlValue } from '#persistence';
import type { AuditRow } from './rows.js';

export interface AuditFilter {
  model?: string;
  version?: string;
  actor?: string;
  type?: string;
  /** Inclusive lower bound on recordedAt (canonical UTC ISO form). */
  from?: string;
  /** Inclusive upper bound on recordedAt. */
  to?: string;
  correlationId?: string;
}

export type AuditOrder = 'asc' | 'desc';

function toRow(r: Record<string, unknown>): AuditRow {
  return {
    position: Number(r.position),
    eventId: String(r.event_id),
    stream: String(r.stream),
    model: (r.model as string | null) ?? null,
    version: (r.version as string | null) ?? null,
    type: String(r.type),
    actor: String(r.actor),
    reason: (r.reason as string | null) ?? null,
    correlationId: String(r.correlation_id),
    recordedAt: String(r.recorded_at),
  };
}

/** Filtered, position-keyed pages over the audit-trail read model (`rm_audit`). */
export class AuditTrailQueries {
  constructor(private readonly db: SqlDb) {}

  /** Rows matching `f` strictly after (asc) or before (desc) position `after`, at most `limit`. */
  async search(f: AuditFilter, page: { after?: number; order: AuditOrder; limit: number }): Promise<AuditRow[]> {
    const where: string[] = [];
    const params: SqlValue[] = [];
    const eq = (column: string, value: string | undefined) => {
      if (value === undefined) return;
      where.push(`${column} = ?`);
      params.push(value);
    };
    eq('model', f.model);
    eq('version', f.version);
    eq('actor', f.actor);
    eq('type', f.type);
    eq('correlation_id', f.correlationId);
    if (f.from !== undefined) {
      where.push('recorded_at >= ?');
      params.push(f.from);
    }
    if (f.to !== undefined) {
      where.push('recorded_at <= ?');
      params.push(f.to);
    }
    if (page.after !== undefined) {
      where.push(page.order === 'asc' ? 'position > ?' : 'position < ?');
      params.push(page.after);
    }
    const rows = await this.db.query<Record<string, unknown>>(
      `SELECT position, event_id, stream, model, version, type, actor, reason, correlation_id, recorded_at FROM rm_audit
       ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY position ${page.order === 'asc' ? 'ASC' : 'DESC'} LIMIT ?`,
      [...params, page.limit],
    );
    return rows.map(toRow);
  }
}
