import { PostgresDb, uuidv7 } from '#persistence';
import { PostgresEventStore, canonicalize, hashInput, sha256Hex } from '#event-store';
import { createTestSchema, describePg } from '../../../test/support/pg.js';
import { openPostgresStore } from '../../../test/support/stores.js';
import { chainTamperContract } from './contract/chain-tamper.contract.js';
import { verifyStore } from './verify.js';

describePg('hash chain tampering (PostgreSQL)', () => {
  chainTamperContract(() => openPostgresStore('chain', { max: 4 }));
});

/**
 * Migration 6 stores the hashed RFC 8785 texts beside the JSONB (data_jcs, metadata_jcs) and
 * verify hashes them. What an attacker can edit: the JSONB, the texts, both, or clear the texts.
 */
describePg('hash chain tampering with the stored canonical texts (PostgreSQL)', () => {
  let schema: Awaited<ReturnType<typeof createTestSchema>>;
  let db: PostgresDb;
  let store: PostgresEventStore;
  const meta = { actor: { sub: 'alice', scopes: ['registry:write'] }, correlationId: 'c-1' };
  // Keys whose JSONB order (by length) differs from RFC 8785's, numbers JSONB would print differently.
  const payload = (n: number) => ({ zeta: n, alpha: `note ${n}`, mid: { bb: 1e21, a: 0.1, ccc: [1e-7, -0, 'é\u2028'] } });

  beforeEach(async () => {
    schema = await createTestSchema('chainjcs');
    db = new PostgresDb(schema.url, { max: 4 });
    store = await PostgresEventStore.open(db, { now: () => new Date() });
    for (let n = 1; n <= 3; n++) await store.append('model-a', [{ id: uuidv7(), type: 'Noted', schemaVersion: 1, data: payload(n), metadata: meta }], { expectedRevision: 'any' });
    // The other write path (several streams in one transaction) stores the texts too.
    await store.appendAll([
      { stream: 'model-b', expectedRevision: 'any', events: [{ id: uuidv7(), type: 'Noted', schemaVersion: 1, data: payload(4), metadata: meta }] },
      { stream: 'model-c', expectedRevision: 'any', events: [{ id: uuidv7(), type: 'Noted', schemaVersion: 1, data: payload(5), metadata: meta }] },
    ]);
  });
  afterEach(async () => {
    await store.close();
    await db.close();
    await schema.drop();
  });

  const verify = () => verifyStore(store, { keys: [] });
  const texts = () => db.query<{ position: number; data_jcs: string | null; metadata_jcs: string | null; hash: string }>('SELECT position, data_jcs, metadata_jcs, hash FROM events ORDER BY position');

  test('both write paths store exactly the texts that were hashed, and the chain verifies from them', async () => {
    const stored = await texts();
    expect(stored).toHaveLength(5);
    const chain = await store.readChain({ fromPosition: 0, limit: 10 });
    stored.forEach((row, i) => {
      expect(row.data_jcs).toBe(canonicalize(payload(i + 1)));
      expect(row.metadata_jcs).toBe(canonicalize(meta));
      expect(sha256Hex(hashInput(chain[i], row.data_jcs!, row.metadata_jcs!))).toBe(row.hash);
      expect(chain[i].dataJcs).toBe(row.data_jcs);
    });
    expect(await verify()).toMatchObject({ ok: true, verified: 5 });
  });

  test('editing the JSONB alone is a hash mismatch even though the stored text still hashes', async () => {
    await db.run(`UPDATE events SET data = jsonb_set(data, '{alpha}', '"forged"') WHERE position = 2`);
    expect(await verify()).toMatchObject({ ok: false, verified: 1, broken: { position: 2, kind: 'hash-mismatch' } });
    // The rows verify and export read carry the JSONB's text, never the stale stored one.
    const [row] = await store.readChainAt([2]);
    expect(JSON.parse(row.dataJcs)).toMatchObject({ alpha: 'forged' });
  });

  test('a JSONB edit that only PostgreSQL notices (a number beyond double precision) is a hash mismatch', async () => {
    await db.run(`UPDATE events SET data = jsonb_set(data, '{zeta}', '3.0000000000000000001') WHERE position = 3`);
    expect((await verify()).broken).toMatchObject({ position: 3, kind: 'hash-mismatch' });
  });

  test('editing the JSONB and the stored text alike is a hash mismatch', async () => {
    const forged = canonicalize({ ...payload(2), alpha: 'forged' });
    await db.run('UPDATE events SET data = ?::jsonb, data_jcs = ? WHERE position = 2', [forged, forged]);
    expect((await verify()).broken).toMatchObject({ position: 2, kind: 'hash-mismatch' });
  });

  test('editing the metadata JSONB alone is a hash mismatch', async () => {
    await db.run(`UPDATE events SET metadata = jsonb_set(metadata, '{actor,sub}', '"mallory"') WHERE position = 4`);
    expect((await verify()).broken).toMatchObject({ position: 4, kind: 'hash-mismatch' });
  });

  test('editing only the stored text (to other JSON, or to text that is not JSON) changes nothing that is read or verified', async () => {
    await db.run(`UPDATE events SET data_jcs = '{"alpha":"forged"}' WHERE position = 2`);
    await db.run(`UPDATE events SET metadata_jcs = 'not json {' WHERE position = 3`);
    const chain = await store.readChain({ fromPosition: 0, limit: 10 });
    expect(chain[1].dataJcs).toBe(canonicalize(payload(2)));
    expect(chain[2].metadataJcs).toBe(canonicalize(meta));
    expect(await verify()).toMatchObject({ ok: true, verified: 5 });
    expect((await store.readChainAt([3]))[0].metadataJcs).toBe(canonicalize(meta));
  });

  test('a range bounded on both sides is read in windows: a gap is skipped, the limit and the bound still hold', async () => {
    await db.run('DELETE FROM events WHERE position IN (2, 3)');
    const at = async (o: { fromPosition: number; toPosition?: number; limit: number }) => (await store.readChain(o)).map((r) => r.position);
    expect(await at({ fromPosition: 0, toPosition: 5, limit: 2 })).toEqual([1, 4]);
    expect(await at({ fromPosition: 0, toPosition: 4, limit: 10 })).toEqual([1, 4]);
    expect(await at({ fromPosition: 1, toPosition: 5, limit: 1 })).toEqual([4]);
    expect(await at({ fromPosition: 1, toPosition: 3, limit: 5 })).toEqual([]);
    expect(await at({ fromPosition: 0, limit: 5 })).toEqual([1, 4, 5]);
    expect(await verifyStore(store, { keys: [] }, { from: 1, to: 5 })).toMatchObject({ ok: false, broken: { position: 2, kind: 'missing-position' } });
  });

  test('rows without stored texts (written before migration 6) verify from the JSONB, and an edit of it is still caught', async () => {
    const before = await store.readChain({ fromPosition: 0, limit: 10 });
    await db.run('UPDATE events SET data_jcs = NULL, metadata_jcs = NULL WHERE position IN (1, 2, 5)');
    expect(await store.readChain({ fromPosition: 0, limit: 10 })).toEqual(before);
    expect(await verify()).toMatchObject({ ok: true, verified: 5 });
    await db.run(`UPDATE events SET data = jsonb_set(data, '{zeta}', '7') WHERE position = 5`);
    expect((await verify()).broken).toMatchObject({ position: 5, kind: 'hash-mismatch' });
  });
});
