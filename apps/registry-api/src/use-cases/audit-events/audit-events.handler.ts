import { Injectable } from '@nestjs/common';
import { invalid } from '#domain';
import { AuditTrailQueries, type AuditOrder, type AuditRow } from '#read-models';
import { toAuditFilter, type AuditFilterQuery } from '../shared/audit-filters.js';

/** The cursor carries the order it was made for, so it cannot be replayed in the other direction. */
interface Cursor {
  p: number;
  o: AuditOrder;
}

@Injectable()
export class AuditEventsHandler {
  constructor(private readonly audit: AuditTrailQueries) {}

  async handle(q: AuditFilterQuery & { cursor?: string; limit?: number; order?: AuditOrder }): Promise<{ items: AuditRow[]; nextCursor: string | null }> {
    const order = q.order ?? 'desc';
    const limit = q.limit ?? 50;
    let after: number | undefined;
    if (q.cursor) {
      let c: Cursor | undefined;
      try {
        c = JSON.parse(Buffer.from(q.cursor, 'base64url').toString()) as Cursor;
      } catch {
        c = undefined;
      }
      if (!c || !Number.isSafeInteger(c.p) || c.o !== order) {
        throw invalid('INVALID_CURSOR', 'cursor is not one returned by this endpoint for the same order', [
          { field: 'cursor', rule: 'cursor', message: 'pass nextCursor from the previous page unchanged, with the same order' },
        ]);
      }
      after = c.p;
    }
    const rows = await this.audit.search(toAuditFilter(q), { after, order, limit: limit + 1 });
    const items = rows.slice(0, limit);
    const next = rows.length > limit ? Buffer.from(JSON.stringify({ p: items[items.length - 1].position, o: order } satisfies Cursor)).toString('base64url') : null;
    return { items, nextCursor: next };
  }
}
