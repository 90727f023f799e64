import { generateKeyPair, exportJWK } from 'jose';
import type { SqlDb } from '#persistence';
import { uuidv7 } from '#persistence';
import { hashInput, sha256Hex, canonicalize, type SqlEventStore } from '#event-store';
import { signCheckpoint, writeCheckpoint, type CheckpointData } from '../checkpoint.js';
import type { AuditKey } from '../audit-key.js';
import { verifyStore } from '../verify.js';
import { verifyInChunks } from '../parallel-verify.js';

export interface ChainFixture {
  store: SqlEventStore;
  db: SqlDb;
  close(): Promise<void>;
}

async function newKey(kid: string): Promise<AuditKey> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  return { kid, privateJwk: { ...(await exportJWK(privateKey)), kid }, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA' } };
}

const actor = { sub: 'alice', scopes: ['registry:write'] };
const ev = (type: string, data: unknown) => ({ id: uuidv7(), type, schemaVersion: 1, data, metadata: { actor, correlationId: uuidv7(), reason: 'seed' } });

/**
 * Tampering scenarios run against the real stored rows of each adapter: the layout is
 * 1–4 events, 5 checkpoint (covers 4), 6–9 events, 10 checkpoint (covers 9), 11–12 events.
 */
export function chainTamperContract(open: () => Promise<ChainFixture>): void {
  let fx: ChainFixture;
  let key: AuditKey;
  let jwks: { keys: AuditKey['publicJwk'][] };

  beforeEach(async () => {
    fx = await open();
    key = await newKey('audit-test');
    jwks = { keys: [key.publicJwk] };
    const append = (stream: string, n: number) => fx.store.append(stream, [ev('Noted', { n, note: `note number ${n}`, score: n / 10 })], { expectedRevision: 'any' });
    for (let n = 1; n <= 4; n++) await append(n % 2 ? 'model-a' : 'model-b', n);
    expect((await writeCheckpoint(fx.store, key))?.position).toBe(5);
    for (let n = 6; n <= 9; n++) await append(n % 2 ? 'model-a' : 'model-b', n);
    expect((await writeCheckpoint(fx.store, key))?.position).toBe(10);
    for (let n = 11; n <= 12; n++) await append('model-a', n);
  });
  afterEach(async () => {
    await fx.close();
  });

  async function dataOf(position: number): Promise<Record<string, unknown>> {
    const [e] = await fx.store.readAll({ fromPosition: position - 1, limit: 1 });
    return e.data as Record<string, unknown>;
  }
  async function setData(position: number, data: unknown): Promise<void> {
    await fx.db.run('UPDATE events SET data = ? WHERE position = ?', [JSON.stringify(data), position]);
  }
  /** What a careful attacker does after editing: recompute every hash from `position` on. */
  async function rechainFrom(position: number): Promise<void> {
    const [before] = await fx.store.readChain({ fromPosition: position - 2, toPosition: position - 1, limit: 1 });
    let prev = before.hash;
    const rows = await fx.store.readChain({ fromPosition: position - 1, limit: 1000 });
    for (const r of rows) {
      const dataJcs = canonicalize(JSON.parse(r.dataJcs));
      const hash = sha256Hex(hashInput({ ...r, prevHash: prev }, dataJcs, r.metadataJcs));
      await fx.db.run('UPDATE events SET data = ?, prev_hash = ?, hash = ? WHERE position = ?', [dataJcs, prev, hash, r.position]);
      prev = hash;
    }
  }

  test('an untouched chain verifies: count, last position and both checkpoints', async () => {
    const report = await verifyStore(fx.store, jwks);
    expect(report).toMatchObject({ ok: true, verified: 12, lastVerifiedPosition: 12, checkpointsVerified: 2 });
    expect(report.lastCheckpoint).toMatchObject({ position: 10, covers: 9, kid: 'audit-test' });
    expect(report.broken).toBeUndefined();
    const partial = await verifyStore(fx.store, jwks, { from: 7, to: 11 });
    expect(partial).toMatchObject({ ok: true, from: 7, verified: 5, lastVerifiedPosition: 11, checkpointsVerified: 1 });
  });

  test('changing one byte of a payload is a hash mismatch at that position', async () => {
    const data = await dataOf(7);
    expect(data.note).toBe('note number 7');
    await setData(7, { ...data, note: 'note number 8' });
    const report = await verifyStore(fx.store, jwks);
    expect(report).toMatchObject({ ok: false, verified: 6, lastVerifiedPosition: 6, broken: { position: 7, kind: 'hash-mismatch' } });
  });

  test('changing the actor in the metadata is a hash mismatch at that position', async () => {
    await fx.db.run('UPDATE events SET metadata = ? WHERE position = ?', [JSON.stringify({ actor: { sub: 'mallory', scopes: [] }, correlationId: 'x' }), 3]);
    expect((await verifyStore(fx.store, jwks)).broken).toMatchObject({ position: 3, kind: 'hash-mismatch' });
  });

  test('deleting a row is a missing position', async () => {
    await fx.db.run('DELETE FROM events WHERE position = ?', [8]);
    const report = await verifyStore(fx.store, jwks);
    expect(report).toMatchObject({ ok: false, lastVerifiedPosition: 7, broken: { position: 8, kind: 'missing-position' } });
  });

  test('swapping two rows is reported as reordered at the first swapped position', async () => {
    await fx.db.run('UPDATE events SET position = -1 WHERE position = ?', [3]);
    await fx.db.run('UPDATE events SET position = 3 WHERE position = ?', [6]);
    await fx.db.run('UPDATE events SET position = 6 WHERE position = -1', []);
    const report = await verifyStore(fx.store, jwks);
    expect(report).toMatchObject({ ok: false, lastVerifiedPosition: 2, broken: { position: 3, kind: 'reordered' } });
  });

  test('a checkpoint re-signed with a foreign key (chain re-hashed after it) is a bad signature at the checkpoint', async () => {
    const foreign = await newKey('audit-test');
    const data = (await dataOf(5)) as unknown as CheckpointData;
    await setData(5, { ...data, jws: await signCheckpoint(foreign, data) });
    await rechainFrom(5);
    const report = await verifyStore(fx.store, jwks);
    expect(report).toMatchObject({ ok: false, lastVerifiedPosition: 5, checkpointsVerified: 0, broken: { position: 5, kind: 'bad-signature', checkpointPosition: 5 } });
  });

  test('an edited payload with the whole chain re-hashed is caught by the next signed checkpoint', async () => {
    await setData(7, { ...(await dataOf(7)), note: 'rewritten' });
    await rechainFrom(7);
    const report = await verifyStore(fx.store, jwks);
    // Every link now agrees; only the checkpoint at 10, signed before the edit, disagrees about position 9.
    expect(report).toMatchObject({ ok: false, checkpointsVerified: 1, broken: { position: 9, kind: 'checkpoint-mismatch', checkpointPosition: 10 } });
  });

  test('a checkpoint signed with a key that is not published is a bad signature', async () => {
    const report = await verifyStore(fx.store, { keys: [(await newKey('other')).publicJwk] });
    expect(report.broken).toMatchObject({ position: 5, kind: 'bad-signature' });
    expect(report.broken?.message).toContain("'audit-test'");
  });

  test('verifying in chunks, each anchored on the stored hash before it, reaches the same verdict as one pass', async () => {
    // 1–3, 4–6, 7–9, 10–12: run two at a time, as worker threads would.
    const chunked = () => verifyInChunks({ from: 1, to: 12 }, 3, 2, (range) => verifyStore(fx.store, jwks, range));
    const clean = await chunked();
    const { lastCheckpoint, ...cleanRest } = await verifyStore(fx.store, jwks);
    expect(clean).toMatchObject({ ...cleanRest, lastCheckpoint });

    // A tamper in one chunk (the row right after a chunk boundary) breaks it there, not earlier or later.
    await setData(7, { ...(await dataOf(7)), note: 'tampered' });
    expect(await chunked()).toMatchObject({ ok: false, verified: 6, lastVerifiedPosition: 6, broken: { position: 7, kind: 'hash-mismatch' } });
    // Re-hashing the rest of the chain does not help: the checkpoint at 10 (in the last chunk) still disagrees about 9.
    await rechainFrom(7);
    expect(await chunked()).toMatchObject({ ok: false, broken: { position: 9, kind: 'checkpoint-mismatch', checkpointPosition: 10 } });
    // A row missing at a chunk's start: the chunk finds its anchor but not the next position.
    await fx.db.run('DELETE FROM events WHERE position = ?', [4]);
    expect(await chunked()).toMatchObject({ ok: false, broken: { position: 4, kind: 'missing-position' } });
  });
}
