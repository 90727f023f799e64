import { ev } from './event-store.contract.js';
import { GENESIS_HASH, eventHash } from '../hash-chain.js';
import type { EventStore, RecordedEvent } from '../port.js';

export interface GroupCommitFixture {
  store: EventStore;
  /** How many appends shared a commit with another one, judged from the adapter's side (see each spec). */
  sharedCommits(all: RecordedEvent[]): number;
  close(): Promise<void>;
}

/**
 * Group commit (issue 13): appends that arrive together are written by one transaction, and
 * each keeps its own outcome: three writers per stream at the same expected revision (one wins,
 * two conflict), fresh streams, a retry of a stored append, a reused id, the same new append sent
 * twice at once. Positions stay gapless and every hash is recomputed here.
 */
export function groupCommitContract(open: () => Promise<GroupCommitFixture>): void {
  test('concurrent appends share commits; conflicts and duplicates fail alone; positions stay gapless and chained', async () => {
    const fx = await open();
    try {
      const { store } = fx;
      for (let s = 0; s < 8; s++) await store.append(`g-${s}`, [ev('Created')], { expectedRevision: 'no_stream' });
      const stored = ev('Stored');
      await store.append('g-stored', [stored], { expectedRevision: 'no_stream' });

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
      // Group commit happened: some commit carried more than one append.
      expect(fx.sharedCommits(all)).toBeGreaterThan(0);
    } finally {
      await fx.close();
    }
  });
}
