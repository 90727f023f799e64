import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { policyLedger, POLICY_STREAM, type RecordPolicy } from '#domain';
import { SqliteDb, uuidv7 } from '#persistence';
import { decideAndAppend } from './decide-and-append.js';
import { SqliteEventStore } from './sqlite-event-store.js';

// SQLite is embedded: the write path of the small deciders runs here against a real database file.
describe('decideAndAppend', () => {
  let dir: string;
  let db: SqliteDb;
  let store: SqliteEventStore;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ml-decide-'));
    db = new SqliteDb(join(dir, 'ledger.db'));
    store = await SqliteEventStore.open(db, { now: () => new Date() });
  });
  afterEach(async () => {
    await store.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const record = (contentHash: string): RecordPolicy => ({ type: 'RecordPolicy', policy: { policyId: `policy@${contentHash}`, contentHash, source: 'p.yaml', document: { default: {} } as never } });
  const options = () => ({ newId: uuidv7, metadata: { actor: { sub: 'ops', scopes: [] }, correlationId: uuidv7(), reason: 'test' } });

  it('appends what the decider decides, with the full envelope, and nothing when it decides nothing', async () => {
    const first = await decideAndAppend(store, POLICY_STREAM, policyLedger, record('a'), options());
    expect(first.recorded).toHaveLength(1);
    expect(first.recorded[0]).toMatchObject({ stream: POLICY_STREAM, type: 'PolicyChanged', revision: 0, metadata: { actor: { sub: 'ops' }, reason: 'test' } });
    expect(first.recorded[0].hash).toMatch(/^[0-9a-f]{64}$/);
    expect((await decideAndAppend(store, POLICY_STREAM, policyLedger, record('a'), options())).recorded).toEqual([]);
    const second = await decideAndAppend(store, POLICY_STREAM, policyLedger, record('b'), options());
    expect(second.recorded[0].data).toMatchObject({ contentHash: 'b', previousPolicyId: 'policy@a' });
    expect(await store.readStream(POLICY_STREAM)).toHaveLength(2);
  });

  it('decides again on the new state when another writer appended in between: two replicas record one change', async () => {
    const results = await Promise.all([
      decideAndAppend(store, POLICY_STREAM, policyLedger, record('a'), options()),
      decideAndAppend(store, POLICY_STREAM, policyLedger, record('a'), options()),
    ]);
    expect(results.map((r) => r.recorded.length).sort()).toEqual([0, 1]);
    expect(await store.readStream(POLICY_STREAM)).toHaveLength(1);
  });
});
