import { createPublicKey, verify as verifySignature, type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import { GENESIS_HASH, hashInput, sha256Hex, type ChainReader, type ChainRow } from '#event-store';
import { isCheckpoint, type CheckpointClaim } from './checkpoint.js';

export type BreakKind = 'hash-mismatch' | 'missing-position' | 'reordered' | 'bad-signature' | 'checkpoint-mismatch';

export interface ChainBreak {
  /** The first position that does not verify. */
  position: number;
  kind: BreakKind;
  message: string;
  expected?: string;
  actual?: string;
  /** For checkpoint problems: where the checkpoint event itself is. */
  checkpointPosition?: number;
}

export interface VerifiedCheckpoint {
  position: number;
  covers: number;
  hash: string;
  recordedAt: string;
  kid: string;
}

export interface VerifyReport {
  ok: boolean;
  from: number;
  /** Events whose hash and link were recomputed and matched. */
  verified: number;
  lastVerifiedPosition: number;
  lastVerifiedHash?: string;
  checkpointsVerified: number;
  lastCheckpoint?: VerifiedCheckpoint;
  /** Links not checked because the input skips positions (a filtered export). */
  uncheckedLinks?: number;
  broken?: ChainBreak;
  /** Worker threads that verified the chain in chunks (absent: one pass in the calling thread). */
  workers?: number;
}

const RECENT = 1 << 16;

/** Base64url decode without padding. */
const b64u = (s: string) => Buffer.from(s, 'base64url');

/**
 * Recomputes the chain one row at a time. Each row must be at the next position, link to the
 * previous row's hash, and hash to its stored hash; each checkpoint row must carry a valid
 * Ed25519 JWS by a published key over a {position, hash} that the chain agrees with. Stops at
 * the first break. Holds only the hashes of recent positions, so memory stays flat.
 */
export class ChainVerifier {
  private readonly keys = new Map<string, KeyObject>();
  /** Ring buffer of the hashes of the last RECENT positions (slot = position % RECENT). */
  private readonly recentPositions = new Float64Array(RECENT).fill(-1);
  private readonly recentHashes: string[] = new Array<string>(RECENT);
  private expected: number;
  private prevHash: string | undefined;
  private report: VerifyReport;

  /**
   * @param anchor the position before the first row and its hash (trusted), or undefined to start at position 1 from the genesis hash.
   * @param contiguous false for filtered exports: a gap is not a break, the next link is just not checkable.
   */
  constructor(
    jwks: { keys: JWK[] },
    private readonly options: { anchor?: { position: number; hash: string }; contiguous?: boolean; lookupHash?: (position: number) => Promise<string | undefined> } = {},
  ) {
    for (const jwk of jwks.keys) {
      if (jwk.kid && jwk.kty === 'OKP' && jwk.crv === 'Ed25519') this.keys.set(jwk.kid, createPublicKey({ key: jwk as never, format: 'jwk' }));
    }
    const anchor = options.anchor ?? { position: 0, hash: GENESIS_HASH };
    this.expected = anchor.position + 1;
    this.prevHash = anchor.hash;
    this.report = { ok: true, from: anchor.position + 1, verified: 0, lastVerifiedPosition: anchor.position, checkpointsVerified: 0 };
  }

  get broken(): boolean {
    return !!this.report.broken;
  }

  /** Checks one row; returns a promise only when a checkpoint needs a hash from before the anchor. */
  push(row: ChainRow): void | Promise<void> {
    if (this.report.broken) return;
    const contiguous = this.options.contiguous ?? true;
    if (row.position !== this.expected) {
      if (contiguous || row.position < this.expected) {
        return this.fail(
          row.position > this.expected
            ? {
                position: this.expected,
                kind: 'missing-position',
                message: `position ${this.expected} is missing: the next stored event is at position ${row.position}`,
              }
            : { position: row.position, kind: 'reordered', message: `position ${row.position} appears after position ${this.expected - 1}` },
        );
      }
      this.report.uncheckedLinks = (this.report.uncheckedLinks ?? 0) + 1;
      this.prevHash = undefined;
    }
    if (this.prevHash !== undefined && row.prevHash !== this.prevHash) {
      return this.fail({
        position: row.position,
        kind: 'reordered',
        message: `event at position ${row.position} does not link to position ${row.position - 1}: its prevHash is not that event's hash (events reordered, or removed and renumbered)`,
        expected: this.prevHash,
        actual: row.prevHash,
      });
    }
    const computed = sha256Hex(hashInput(row, row.dataJcs, row.metadataJcs));
    if (computed !== row.hash) {
      return this.fail({
        position: row.position,
        kind: 'hash-mismatch',
        message: `event at position ${row.position} does not hash to its stored hash: its content was changed after it was written`,
        expected: computed,
        actual: row.hash,
      });
    }
    this.prevHash = computed;
    this.expected = row.position + 1;
    this.recentPositions[row.position % RECENT] = row.position;
    this.recentHashes[row.position % RECENT] = computed;
    this.report.verified += 1;
    this.report.lastVerifiedPosition = row.position;
    this.report.lastVerifiedHash = computed;
    if (isCheckpoint(row)) return this.checkCheckpoint(row);
  }

  private checkCheckpoint(row: ChainRow): void | Promise<void> {
    const claim = this.verifyJws(row);
    if (!claim) return;
    const known = this.recentPositions[claim.position % RECENT] === claim.position ? this.recentHashes[claim.position % RECENT] : undefined;
    if (known !== undefined) return this.compareCheckpoint(row, claim, known);
    if (this.options.lookupHash) return this.options.lookupHash(claim.position).then((hash) => this.compareCheckpoint(row, claim, hash));
    // Offline over a partial file: the covered event is not in the input, so only the signature counts.
    this.acceptCheckpoint(row, claim);
  }

  private verifyJws(row: ChainRow): (CheckpointClaim & { kid: string }) | undefined {
    const bad = (why: string) => {
      this.fail({ position: row.position, checkpointPosition: row.position, kind: 'bad-signature', message: `checkpoint at position ${row.position}: ${why}` });
      return undefined;
    };
    let data: { jws?: unknown };
    try {
      data = JSON.parse(row.dataJcs) as { jws?: unknown };
    } catch {
      return bad('its payload is not JSON');
    }
    if (typeof data.jws !== 'string') return bad('it carries no JWS');
    const parts = data.jws.split('.');
    if (parts.length !== 3) return bad('its JWS is not in compact form');
    let header: { alg?: string; kid?: string };
    let claim: CheckpointClaim;
    try {
      header = JSON.parse(b64u(parts[0]).toString('utf8'));
      claim = JSON.parse(b64u(parts[1]).toString('utf8'));
    } catch {
      return bad('its JWS header or payload is not base64url JSON');
    }
    if (header.alg !== 'EdDSA') return bad(`its JWS algorithm is ${String(header.alg)}, not EdDSA`);
    const key = header.kid ? this.keys.get(header.kid) : undefined;
    if (!key) return bad(`it is signed with key id '${String(header.kid)}', which is not in the audit JWKS`);
    if (!verifySignature(null, Buffer.from(`${parts[0]}.${parts[1]}`, 'ascii'), key, b64u(parts[2]))) {
      return bad(`its signature does not verify with audit key '${header.kid}'`);
    }
    if (!Number.isSafeInteger(claim.position) || typeof claim.hash !== 'string') return bad('its signed claim lacks position or hash');
    return { ...claim, kid: header.kid! };
  }

  private compareCheckpoint(row: ChainRow, claim: CheckpointClaim & { kid: string }, chainHash: string | undefined): void {
    if (chainHash !== claim.hash) {
      this.fail({
        position: claim.position,
        checkpointPosition: row.position,
        kind: 'checkpoint-mismatch',
        message: `the checkpoint at position ${row.position} signed hash ${claim.hash} for position ${claim.position}, but the chain now has ${chainHash ?? 'no event there'}: events at or before position ${claim.position} were rewritten`,
        expected: claim.hash,
        actual: chainHash,
      });
      return;
    }
    this.acceptCheckpoint(row, claim);
  }

  private acceptCheckpoint(row: ChainRow, claim: CheckpointClaim & { kid: string }): void {
    this.report.checkpointsVerified += 1;
    this.report.lastCheckpoint = { position: row.position, covers: claim.position, hash: claim.hash, recordedAt: claim.recordedAt, kid: claim.kid };
  }

  private fail(b: ChainBreak): void {
    this.report.ok = false;
    this.report.broken = b;
  }

  result(): VerifyReport {
    return { ...this.report };
  }
}

/** Verifies the stored chain from `from` (inclusive, default 1) to `to` (inclusive, default head), page by page. */
export async function verifyStore(
  reader: ChainReader,
  jwks: { keys: JWK[] },
  options: { from?: number; to?: number; pageSize?: number } = {},
): Promise<VerifyReport> {
  const from = Math.max(1, options.from ?? 1);
  const hashAt = async (position: number): Promise<string | undefined> => {
    const [row] = await reader.readChain({ fromPosition: position - 1, toPosition: position, limit: 1 });
    return row?.hash;
  };
  let anchor: { position: number; hash: string } | undefined;
  if (from > 1) {
    // Verification starts from the stored hash of the event before `from`, which is trusted as is.
    const hash = await hashAt(from - 1);
    if (hash === undefined) {
      const v = new ChainVerifier(jwks);
      return { ...v.result(), ok: false, from, broken: { position: from - 1, kind: 'missing-position', message: `position ${from - 1} (the anchor before from=${from}) is missing` } };
    }
    anchor = { position: from - 1, hash };
  }
  const verifier = new ChainVerifier(jwks, { anchor, lookupHash: hashAt });
  const pageSize = options.pageSize ?? 2000;
  const page = (after: number) => reader.readChain({ fromPosition: after, toPosition: options.to, limit: pageSize });
  let next = page(from - 1);
  for (;;) {
    const rows = await next;
    // The next page is read while this one is hashed (on PostgreSQL the server works meanwhile).
    const more = rows.length === pageSize;
    if (more) {
      next = page(rows[rows.length - 1].position);
      next.catch(() => undefined); // awaited below, or dropped when this page breaks
    }
    for (const row of rows) {
      const pending = verifier.push(row);
      if (pending) await pending;
      if (verifier.broken) return verifier.result();
    }
    if (!more) break;
  }
  return verifier.result();
}
