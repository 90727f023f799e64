import pg from 'pg';
import { PostgresDb } from '#persistence';
import { createTestSchema, describePg } from '../../../test/support/pg.js';
import { ev, eventStoreContract } from './contract/event-store.contract.js';
import { APPEND_LOCK_KEY, PostgresEventStore } from './postgres-event-store.js';
import { subscribeToAll } from './subscription.js';
import { GENESIS_HASH, eventHash } from './hash-chain.js';
import type { RecordedEvent } from './port.js';

const clock = { now: () => new Date() };

describePg('PostgresEventStore contract', () => {
  eventStoreContract(async () => {
    const schema = await createTestSchema('es');
    const db1 = new PostgresDb(schema.url, { max: 8 });
    const db2 = new PostgresDb(schema.url, { max: 8 });
    const store = await PostgresEventStore.open(db1, clock, { listen: true });
    const other = await PostgresEventStore.open(db2, clock);
    return {
      store,
      other,
      close: async () => {
        await store.close();
        await other.close();
        await db1.close();
        await db2.close();
        await schema.drop();
      },
    };
  });
});

describePg('PostgresEventStore commit order', () => {
  test('an append committed late by a slow transaction is never skipped by a catch-up reader', async () => {
    const schema = await createTestSchema('slow');
    const db = new PostgresDb(schema.url, { max: 4 });
    const store = await PostgresEventStore.open(db, clock, { listen: true });
    const seen: RecordedEvent[] = [];
    const sub = subscribeToAll(store, { fromPosition: 0, pollMs: 10 }, async (events) => {
      seen.push(...events);
    });
    // A slow writer: an open transaction holding the append lock, with its event inserted but not committed.
    const slow = new pg.Client({ connectionString: schema.url });
    await slow.connect();
    await slow.query('BEGIN');
    await slow.query(`SELECT pg_advisory_xact_lock(${APPEND_LOCK_KEY})`);
    await slow.query(
      `INSERT INTO events (position, id, stream, revision, type, schema_version, data, metadata, recorded_at, prev_hash, hash)
       VALUES (1, gen_random_uuid(), 'slow', 0, 'Slow', 1, '{}', '{"actor":{"sub":"t","scopes":[]},"correlationId":"c"}', now()::text, '', '')`,
    );
    // A fast writer starts meanwhile: it must wait, not commit position 2 before position 1 is visible.
    let fastDone = false;
    const fast = store.append('fast', [ev('Fast')], { expectedRevision: 'no_stream' }).then((r) => {
      fastDone = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(fastDone).toBe(false);
    expect(await store.readAll({ fromPosition: 0 })).toEqual([]);
    expect(seen).toEqual([]);
    await slow.query('COMMIT');
    await slow.end();
    const result = await fast;
    expect(result.position).toBe(2);
    const until = Date.now() + 5000;
    while (seen.length < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    await sub.stop();
    expect(seen.map((e) => [e.position, e.type])).toEqual([
      [1, 'Slow'],
      [2, 'Fast'],
    ]);
    await store.close();
    await db.close();
    await schema.drop();
  });
});

describePg('PostgresEventStore group commit', () => {
  test('concurrent appends share commits; conflicts and duplicates fail alone; positions stay gapless and chained', async () => {
    const schema = await createTestSchema('group');
    const db = new PostgresDb(schema.url, { max: 4 });
    // Every clock read is a new millisecond: events with one recordedAt were written by one group commit.
    let tick = Date.UTC(2030, 0, 1);
    const store = await PostgresEventStore.open(db, { now: () => new Date(tick++) });
    for (let s = 0; s < 8; s++) await store.append(`g-${s}`, [ev('Created')], { expectedRevision: 'no_stream' });
    const stored = ev('Stored');
    await store.append('g-stored', [stored], { expectedRevision: 'no_stream' });

    // Three writers per stream at the same expected revision, plus fresh streams, a retry and a reused id.
    const attempts: { kind: string; p: Promise<unknown> }[] = [];
    for (let round = 0; round < 3; round++) {
      for (let s = 0; s < 8; s++) attempts.push({ kind: `race-${s}`, p: store.append(`g-${s}`, [ev('Next'), ev('Next')], { expectedRevision: 0 }) });
      attempts.push({ kind: 'fresh', p: store.append(`g-fresh-${round}`, [ev('Created')], { expectedRevision: 'no_stream' }) });
    }
    attempts.push({ kind: 'retry', p: store.append('g-stored', [stored], { expectedRevision: 'no_stream' }) });
    // The same new append sent twice at once (a client retry racing its original): one write, two equal answers.
    const twice = [ev('Twice'), ev('Twice')];
    attempts.push({ kind: 'twice', p: store.append('g-twice', twice, { expectedRevision: 'no_stream' }) });
    attempts.push({ kind: 'twice', p: store.append('g-twice', twice, { expectedRevision: 'no_stream' }) });
    attempts.push({ kind: 'reused-id', p: store.append('g-elsewhere', [stored], { expectedRevision: 'any' }) });
    const outcomes = await Promise.allSettled(attempts.map((a) => a.p));

    for (let s = 0; s < 8; s++) {
      const mine = outcomes.filter((_, i) => attempts[i].kind === `race-${s}`);
      expect(mine.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      for (const o of mine.filter((x) => x.status === 'rejected')) {
        expect((o as PromiseRejectedResult).reason).toMatchObject({ code: 'CONCURRENCY_CONFLICT', extra: { actualRevision: 2 } });
      }
      expect((await store.readStream(`g-${s}`)).map((e) => e.revision)).toEqual([0, 1, 2]);
    }
    expect(outcomes.filter((_, i) => attempts[i].kind === 'fresh').every((o) => o.status === 'fulfilled')).toBe(true);
    const retry = outcomes[attempts.findIndex((a) => a.kind === 'retry')];
    expect(retry).toEqual({ status: 'fulfilled', value: { revision: 0, position: 9 } });
    const reused = outcomes[attempts.findIndex((a) => a.kind === 'reused-id')];
    expect((reused as PromiseRejectedResult).reason).toMatchObject({ code: 'DUPLICATE_EVENT_ID' });
    expect(await store.readStream('g-elsewhere')).toEqual([]);
    const [t1, t2] = outcomes.filter((_, i) => attempts[i].kind === 'twice');
    expect(t1.status).toBe('fulfilled');
    expect(t2).toEqual(t1);
    expect((await store.readStream('g-twice')).map((e) => e.revision)).toEqual([0, 1]);

    const all = await store.readAll({ fromPosition: 0, limit: 1000 });
    expect(all.map((e) => e.position)).toEqual(all.map((_, i) => i + 1));
    expect(all).toHaveLength(9 + 8 * 2 + 3 + 2);
    let prev = GENESIS_HASH;
    for (const e of all) {
      expect(e.prevHash).toBe(prev);
      const { hash, prevHash, data, metadata, ...fields } = e;
      expect(hash).toBe(eventHash({ ...fields, prevHash: prevHash! }, data, metadata));
      prev = hash!;
    }
    // Group commit happened: some commit carried events of more than one append.
    const streamsPerCommit = new Map<string, Set<string>>();
    for (const e of all) streamsPerCommit.set(e.recordedAt, (streamsPerCommit.get(e.recordedAt) ?? new Set()).add(e.stream));
    expect(Math.max(...[...streamsPerCommit.values()].map((s) => s.size))).toBeGreaterThan(1);

    await store.close();
    await db.close();
    await schema.drop();
  });
});
