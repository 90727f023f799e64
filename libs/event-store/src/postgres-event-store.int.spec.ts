import pg from 'pg';
import { PostgresDb } from '#persistence';
import { createTestSchema, describePg } from '../../../test/support/pg.js';
import { ev, eventStoreContract } from './contract/event-store.contract.js';
import { APPEND_LOCK_KEY, PostgresEventStore } from './postgres-event-store.js';
import { subscribeToAll } from './subscription.js';
import { groupCommitContract } from './contract/group-commit.contract.js';
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
  groupCommitContract(async () => {
    const schema = await createTestSchema('group');
    const db = new PostgresDb(schema.url, { max: 4 });
    // Every clock read is a new millisecond, and ml_append_batch stamps one recordedAt per call:
    // events with one recordedAt from different streams were written by one group commit.
    let tick = Date.UTC(2030, 0, 1);
    const store = await PostgresEventStore.open(db, { now: () => new Date(tick++) });
    return {
      store,
      sharedCommits: (all) => {
        const streamsPerCommit = new Map<string, Set<string>>();
        for (const e of all) streamsPerCommit.set(e.recordedAt, (streamsPerCommit.get(e.recordedAt) ?? new Set()).add(e.stream));
        return [...streamsPerCommit.values()].filter((s) => s.size > 1).length;
      },
      close: async () => {
        await store.close();
        await db.close();
        await schema.drop();
      },
    };
  });
});
