import { Inject, Injectable } from '@nestjs/common';
import type { ChainReader, ChainRow } from '#event-store';
import { AuditTrailQueries, type AuditFilter } from '#read-models';
import { CHAIN_READER } from '../../infrastructure/tokens.js';

const PAGE = 1000;

/** One NDJSON record: the envelope with data/metadata in their canonical (hashed) form, plus the chain fields. */
export function ndjsonLine(r: ChainRow): string {
  return (
    `{"position":${r.position},"id":${JSON.stringify(r.id)},"type":${JSON.stringify(r.type)},"stream":${JSON.stringify(r.stream)},` +
    `"revision":${r.revision},"recordedAt":${JSON.stringify(r.recordedAt)},"schemaVersion":${r.schemaVersion},` +
    `"data":${r.dataJcs},"metadata":${r.metadataJcs},"prevHash":${JSON.stringify(r.prevHash)},"hash":${JSON.stringify(r.hash)}}\n`
  );
}

const CSV_HEADER = 'position,recorded_at,stream,revision,type,actor,reason,correlation_id,id,schema_version,data,metadata,prev_hash,hash\n';
const csvCell = (v: string | number | undefined) => {
  const s = v === undefined ? '' : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};
export function csvLine(r: ChainRow): string {
  const m = JSON.parse(r.metadataJcs) as { actor?: { sub?: string }; reason?: string; correlationId?: string };
  return (
    [r.position, r.recordedAt, r.stream, r.revision, r.type, m.actor?.sub, m.reason, m.correlationId, r.id, r.schemaVersion, r.dataJcs, r.metadataJcs, r.prevHash, r.hash]
      .map(csvCell)
      .join(',') + '\n'
  );
}

@Injectable()
export class AuditExportHandler {
  constructor(
    @Inject(CHAIN_READER) private readonly reader: ChainReader,
    private readonly audit: AuditTrailQueries,
  ) {}

  /**
   * Pages through the store (unfiltered: the chain itself, contiguous, so the file verifies end to
   * end) or through the audit-trail read model's positions (filtered), one page in memory at a time.
   */
  async *lines(filter: AuditFilter, format: 'ndjson' | 'csv'): AsyncGenerator<string> {
    const line = format === 'csv' ? csvLine : ndjsonLine;
    if (format === 'csv') yield CSV_HEADER;
    const unfiltered = Object.keys(filter).length === 0;
    let after = 0;
    for (;;) {
      let rows: ChainRow[];
      let fetched: number;
      if (unfiltered) {
        rows = await this.reader.readChain({ fromPosition: after, limit: PAGE });
        fetched = rows.length;
      } else {
        const positions = (await this.audit.search(filter, { after, order: 'asc', limit: PAGE })).map((r) => r.position);
        fetched = positions.length;
        rows = await this.reader.readChainAt(positions);
        if (positions.length) after = positions[positions.length - 1];
      }
      if (rows.length) yield rows.map(line).join('');
      if (unfiltered && rows.length) after = rows[rows.length - 1].position;
      if (fetched < PAGE) return;
    }
  }
}
