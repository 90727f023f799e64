import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { policyLedger, POLICY_STREAM, type RecordPolicy } from '#domain';
import { SqliteDb, uuidv7 } from '#persistence';
import { appendDecision, decideAndAppend, type CommandPath, type Loaded } from './decide-and-append.js';
import { WrongExpectedRevisionError } from './port.js';
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

  describe('appendDecision (the one command path)', () => {
    // A counter stream: its state is the number of events; the command adds `n` events.
    const counter = (stream: string, n: number, extra: Partial<CommandPath<number, { type: string; data: unknown }>> = {}): CommandPath<number, { type: string; data: unknown }> => ({
      stream,
      load: async (): Promise<Loaded<number>> => {
        const events = await store.readStream(stream);
        return { state: events.length, revision: events.length - 1, position: events.at(-1)?.position ?? 0 };
      },
      decide: (count) => Array.from({ length: n }, (_, i) => ({ type: 'Counted', data: { at: count + i } })),
      ...extra,
    });

    it('returns what already landed instead of deciding again (a retried request)', async () => {
      const first = await appendDecision(store, counter('c-1', 1), options());
      expect(first.kind).toBe('appended');
      const landed = await store.readStream('c-1');
      let decided = 0;
      const again = await appendDecision(store, counter('c-1', 1, { landed: async () => landed, decide: () => (decided++, []) }), options());
      expect(again).toMatchObject({ kind: 'replayed', landed });
      expect(decided).toBe(0);
      expect(await store.readStream('c-1')).toHaveLength(1);
    });

    it('nothing decided: nothing appended, the loaded state returned', async () => {
      const outcome = await appendDecision(store, counter('c-2', 0), options());
      expect(outcome).toMatchObject({ kind: 'unchanged', loaded: { state: 0, revision: -1 } });
      expect(await store.headPosition()).toBe(0);
    });

    it('alongside streams land in the same transaction as the main one, caused by its first event, or nothing lands', async () => {
      await store.append('taken', [{ id: uuidv7(), type: 'X', schemaVersion: 1, data: {}, metadata: options().metadata }], { expectedRevision: 'no_stream' });
      const withAlongside = (other: string) =>
        counter('c-3', 2, {
          decide: (count) => ({
            events: [{ type: 'Counted', data: { at: count } }, { type: 'Counted', data: { at: count + 1 } }],
            alongside: [{ stream: other, events: [{ type: 'Linked', data: {} }], expectedRevision: 'no_stream' as const }],
          }),
        });
      // The alongside stream exists already: after the retries the conflict is the answer, and c-3 stays empty.
      await expect(appendDecision(store, withAlongside('taken'), { ...options(), attempts: 2 })).rejects.toBeInstanceOf(WrongExpectedRevisionError);
      expect(await store.readStream('c-3')).toEqual([]);

      const outcome = await appendDecision(store, withAlongside('linked'), options());
      expect(outcome.kind).toBe('appended');
      const [main, linked] = [await store.readStream('c-3'), await store.readStream('linked')];
      expect(main.map((e) => e.position)).toEqual([2, 3]);
      expect(linked).toHaveLength(1);
      expect(linked[0]).toMatchObject({ position: 4, metadata: { causationId: main[0].id, reason: 'test' } });
    });

    it('another writer in between: loads and decides again on the new state, at most `attempts` times', async () => {
      let loads = 0;
      const racing = counter('c-4', 1, {
        load: async () => {
          loads++;
          const events = await store.readStream('c-4');
          // Before the first decision lands, someone else writes: the first append is stale.
          if (loads === 1) await store.append('c-4', [{ id: uuidv7(), type: 'Other', schemaVersion: 1, data: {}, metadata: options().metadata }], { expectedRevision: 'no_stream' });
          return { state: events.length, revision: events.length - 1, position: 0 };
        },
      });
      const outcome = await appendDecision(store, racing, options());
      expect(outcome).toMatchObject({ kind: 'appended', attempt: 2, events: [{ data: { at: 1 } }] });
      expect(loads).toBe(2);
      expect((await store.readStream('c-4')).map((e) => e.type)).toEqual(['Other', 'Counted']);
    });
  });
});
