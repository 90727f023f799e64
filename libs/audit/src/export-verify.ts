import type { JWK } from 'jose';
import { canonicalize, GENESIS_HASH, type ChainRow } from '#event-store';
import { ChainVerifier, type VerifyReport } from './verify.js';

/** An NDJSON export record (see the export endpoint): the chain row with data and metadata as JSON values. */
export type ExportRecord = Omit<ChainRow, 'dataJcs' | 'metadataJcs'> & { data: unknown; metadata: unknown };

/**
 * Verifies an NDJSON export offline, line by line (constant memory). Every record must hash to
 * its hash; consecutive positions must link; checkpoints must be signed by a key in `jwks` and
 * agree with the chain where the covered event is in the file. A filtered export skips positions:
 * the links across a gap cannot be checked and are counted as `uncheckedLinks`. The first
 * record's prevHash is the trusted anchor (for a full export it must be the genesis hash).
 */
export async function verifyNdjson(lines: AsyncIterable<string>, jwks: { keys: JWK[] }): Promise<VerifyReport & { lines: number }> {
  let verifier: ChainVerifier | undefined;
  let n = 0;
  for await (const line of lines) {
    if (!line.trim()) continue;
    n++;
    let r: ExportRecord;
    try {
      r = JSON.parse(line) as ExportRecord;
    } catch {
      const v = verifier ?? new ChainVerifier(jwks);
      return { ...v.result(), ok: false, lines: n, broken: { position: -1, kind: 'hash-mismatch', message: `line ${n} is not JSON` } };
    }
    if (!verifier) {
      const anchor = r.position === 1 ? { position: 0, hash: GENESIS_HASH } : { position: r.position - 1, hash: r.prevHash };
      verifier = new ChainVerifier(jwks, { anchor, contiguous: false });
    }
    const row: ChainRow = {
      position: r.position,
      id: r.id,
      type: r.type,
      stream: r.stream,
      revision: r.revision,
      recordedAt: r.recordedAt,
      schemaVersion: r.schemaVersion,
      dataJcs: canonicalize(r.data),
      metadataJcs: canonicalize(r.metadata),
      prevHash: r.prevHash,
      hash: r.hash,
    };
    const pending = verifier.push(row);
    if (pending) await pending;
    if (verifier.broken) break;
  }
  return { ...(verifier ?? new ChainVerifier(jwks)).result(), lines: n };
}
