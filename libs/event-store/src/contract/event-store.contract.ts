import { uuidv7 } from '../../../persistence/src/uuidv7.js';
import { DuplicateEventIdError, WrongExpectedRevisionError, type EventStore, type NewEvent, type RecordedEvent } from '../port.js';
import { subscribeToAll } from '../subscription.js';
import { GENESIS_HASH, eventHash } from '../hash-chain.js';

export interface StoreFixture {
  store: EventStore;
  /** Another handle on the same database (another connection/pool), as a second process would have. */
  other: EventStore;
  close(): Promise<void>;
}

const actor = { sub: 'contract', scopes: [] };
export function ev(type: string, data: unknown = {}): NewEvent {
  return { id: uuidv7(), type, schemaVersion: 1, data, metadata: { actor, correlationId: uuidv7() } };
}

async function waitFor(check: () => boolean, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** One behavioural contract for every EventStore adapter. */
export function eventStoreContract(open: () => Promise<StoreFixture>): void {
  let fx: StoreFixture;
  beforeEach(async () => {
    fx = await open();
  });
  afterEach(async () => {
    await fx.close();
  });

  test('a new stream starts at revision 0 and positions are global and gapless', async () => {
    const a = await fx.store.append('s-a', [ev('A1'), ev('A2')], { expectedRevision: 'no_stream' });
    const b = await fx.store.append('s-b', [ev('B1')], { expectedRevision: 'no_stream' });
    expect(a).toEqual({ revision: 1, position: 2 });
    expect(b).toEqual({ revision: 0, position: 3 });
    const all = await fx.store.readAll({ fromPosition: 0 });
    expect(all.map((e) => [e.stream, e.revision, e.position, e.type])).toEqual([
      ['s-a', 0, 1, 'A1'],
      ['s-a', 1, 2, 'A2'],
      ['s-b', 0, 3, 'B1'],
    ]);
    expect(await fx.store.headPosition()).toBe(3);
  });

  test('an envelope round-trips: id, data, metadata and a recorded time', async () => {
    const e = ev('Thing', { nested: { n: 1, list: ['x'] } });
    e.metadata = { ...e.metadata, reason: 'because', causationId: 'c-1', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' };
    await fx.store.append('s-env', [e], { expectedRevision: 'any' });
    const [read] = await fx.store.readStream('s-env');
    expect(read.id).toBe(e.id);
    expect(read.data).toEqual({ nested: { n: 1, list: ['x'] } });
    expect(read.metadata).toEqual(e.metadata);
    expect(Number.isNaN(Date.parse(read.recordedAt))).toBe(false);
  });

  test('every event is hash-chained across the global order, also under concurrent appends', async () => {
    await fx.store.append('s-h1', [ev('H1', { x: 1.5, s: 'é' }), ev('H2')], { expectedRevision: 'no_stream' });
    await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? fx.other : fx.store).append(`s-h${i + 2}`, [ev('C', { i })], { expectedRevision: 'any' })));
    const all = await fx.store.readAll({ fromPosition: 0 });
    expect(all).toHaveLength(8);
    let prev = GENESIS_HASH;
    for (const e of all) {
      expect(e.prevHash).toBe(prev);
      const { hash, data, metadata, ...fields } = e;
      expect(hash).toBe(eventHash({ ...fields, prevHash: prev }, data, metadata));
      prev = hash!;
    }
    // readStream returns the same hashes as readAll.
    const [first] = await fx.store.readStream('s-h1');
    expect(first.hash).toBe(all[0].hash);
    // A rejected or replayed append does not move the chain.
    await expect(fx.store.append('s-h1', [ev('X')], { expectedRevision: 'no_stream' })).rejects.toBeInstanceOf(WrongExpectedRevisionError);
    const next = await fx.store.append('s-h1', [ev('H3')], { expectedRevision: 1 });
    const [h3] = await fx.store.readAll({ fromPosition: next.position - 1 });
    expect(h3.prevHash).toBe(prev);
  });

  test('a stale expected revision is a conflict and writes nothing', async () => {
    await fx.store.append('s-c', [ev('X')], { expectedRevision: 'no_stream' });
    await expect(fx.store.append('s-c', [ev('Y')], { expectedRevision: 'no_stream' })).rejects.toBeInstanceOf(WrongExpectedRevisionError);
    await expect(fx.store.append('s-c', [ev('Y'), ev('Z')], { expectedRevision: 5 })).rejects.toMatchObject({
      code: 'CONCURRENCY_CONFLICT',
      extra: { actualRevision: 0 },
    });
    expect((await fx.store.readStream('s-c')).map((e) => e.type)).toEqual(['X']);
    await expect(fx.store.append('s-c', [ev('Y')], { expectedRevision: 0 })).resolves.toEqual({ revision: 1, position: 2 });
  });

  test('retrying the same append with the same ids succeeds once, not twice', async () => {
    await fx.store.append('s-i', [ev('First')], { expectedRevision: 'no_stream' });
    const batch = [ev('A'), ev('B')];
    const first = await fx.store.append('s-i', batch, { expectedRevision: 0 });
    const retry = await fx.store.append('s-i', batch, { expectedRevision: 0 });
    expect(retry).toEqual(first);
    expect((await fx.store.readStream('s-i')).map((e) => e.type)).toEqual(['First', 'A', 'B']);
    // The same ids offered at another revision are not the same append.
    await expect(fx.store.append('s-i', batch, { expectedRevision: 2 })).rejects.toBeInstanceOf(DuplicateEventIdError);
    await expect(fx.store.append('s-other', [batch[0]], { expectedRevision: 'any' })).rejects.toBeInstanceOf(DuplicateEventIdError);
  });

  test('appendAll writes several streams in one transaction: all land, chained in order, or none does', async () => {
    await fx.store.append('s-m2', [ev('Taken')], { expectedRevision: 'no_stream' });
    // The second part is stale: nothing of the first part may land either.
    await expect(
      fx.store.appendAll([
        { stream: 's-m1', events: [ev('M1')], expectedRevision: 'no_stream' },
        { stream: 's-m2', events: [ev('M2')], expectedRevision: 'no_stream' },
      ]),
    ).rejects.toBeInstanceOf(WrongExpectedRevisionError);
    expect(await fx.store.readStream('s-m1')).toEqual([]);
    expect(await fx.store.headPosition()).toBe(1);

    const parts = [
      { stream: 's-m1', events: [ev('M1a'), ev('M1b')], expectedRevision: 'no_stream' as const },
      { stream: 's-m3', events: [ev('M3')], expectedRevision: 'no_stream' as const },
    ];
    const results = await fx.store.appendAll(parts);
    expect(results).toEqual([
      { revision: 1, position: 3 },
      { revision: 0, position: 4 },
    ]);
    const all = await fx.store.readAll({ fromPosition: 0 });
    expect(all.map((e) => [e.stream, e.type])).toEqual([
      ['s-m2', 'Taken'],
      ['s-m1', 'M1a'],
      ['s-m1', 'M1b'],
      ['s-m3', 'M3'],
    ]);
    // A retried multi-stream append (same ids) returns the first outcome and writes nothing more.
    expect(await fx.store.appendAll(parts)).toEqual(results);
    expect(await fx.store.headPosition()).toBe(4);
    // Single appends (PostgreSQL: group commit) continue the same chain on both sides of it.
    await fx.store.append('s-m3', [ev('After')], { expectedRevision: 0 });
    const chain = await fx.store.readAll({ fromPosition: 0 });
    expect(chain.map((e) => e.position)).toEqual([1, 2, 3, 4, 5]);
    for (let i = 1; i < chain.length; i++) expect(chain[i].prevHash).toBe(chain[i - 1].hash);
  });

  test('readStream honours fromRevision and toPosition; readAll pages from a position', async () => {
    for (let i = 0; i < 5; i++) {
      await fx.store.append('s-r', [ev(`R${i}`)], { expectedRevision: i - 1 < 0 ? 'no_stream' : i - 1 });
      await fx.store.append('s-q', [ev(`Q${i}`)], { expectedRevision: 'any' });
    }
    expect((await fx.store.readStream('s-r', { fromRevision: 3 })).map((e) => e.type)).toEqual(['R3', 'R4']);
    expect((await fx.store.readStream('s-r', { toPosition: 5 })).map((e) => e.type)).toEqual(['R0', 'R1', 'R2']);
    const page = await fx.store.readAll({ fromPosition: 3, limit: 4 });
    expect(page.map((e) => e.position)).toEqual([4, 5, 6, 7]);
    expect(await fx.store.readStream('nope')).toEqual([]);
  });

  test('streamsWithEventType names each stream holding that type once, and no other', async () => {
    await fx.store.append('s-a', [ev('Wanted'), ev('Other'), ev('Wanted')], { expectedRevision: 'no_stream' });
    await fx.store.append('s-b', [ev('Other')], { expectedRevision: 'no_stream' });
    await fx.store.append('s-c', [ev('Other'), ev('Wanted')], { expectedRevision: 'no_stream' });
    expect(await fx.store.streamsWithEventType('Wanted')).toEqual(['s-a', 's-c']);
    expect(await fx.store.streamsWithEventType('wanted')).toEqual([]);
    expect(await fx.other.streamsWithEventType('Other')).toEqual(['s-a', 's-b', 's-c']);
  });

  test('a subscription catches up from its checkpoint, then follows live appends', async () => {
    for (let i = 0; i < 5; i++) await fx.store.append('s-sub', [ev(`E${i}`)], { expectedRevision: 'any' });
    const seen: RecordedEvent[] = [];
    const sub = subscribeToAll(fx.store, { fromPosition: 2, batchSize: 2, pollMs: 50 }, async (events) => {
      seen.push(...events);
    });
    await waitFor(() => seen.length === 3);
    expect(sub.caughtUp).toBe(true);
    // Live: appended through another connection, as another process would.
    await fx.other.append('s-sub', [ev('L1'), ev('L2')], { expectedRevision: 'any' });
    await waitFor(() => seen.length === 5);
    await sub.stop();
    expect(seen.map((e) => e.type)).toEqual(['E2', 'E3', 'E4', 'L1', 'L2']);
    expect(sub.position).toBe(7);
  });

  test('of concurrent writers to one stream at the same revision exactly one wins', async () => {
    await fx.store.append('s-race', [ev('Init')], { expectedRevision: 'no_stream' });
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => (i % 2 ? fx.other : fx.store).append('s-race', [ev(`W${i}`)], { expectedRevision: 0 })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(rejected.every((r) => r.reason instanceof WrongExpectedRevisionError)).toBe(true);
    expect(await fx.store.readStream('s-race')).toHaveLength(2);
  });

  test('16 concurrent appenders: a live subscriber sees every event once, in position order, no gaps', async () => {
    const writers = 16;
    const batchesEach = 20;
    const seen: RecordedEvent[] = [];
    const sub = subscribeToAll(fx.store, { fromPosition: 0, batchSize: 37, pollMs: 5 }, async (events) => {
      seen.push(...events);
    });
    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        const store = w % 2 ? fx.other : fx.store;
        for (let b = 0; b < batchesEach; b++) {
          await store.append(`w-${w}`, [ev('T', { w, b, k: 0 }), ev('T', { w, b, k: 1 })], { expectedRevision: b === 0 ? 'no_stream' : b * 2 - 1 });
        }
      }),
    );
    const total = writers * batchesEach * 2;
    await waitFor(() => seen.length >= total);
    await sub.stop();
    expect(seen).toHaveLength(total);
    expect(seen.map((e) => e.position)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    for (let w = 0; w < writers; w++) {
      const mine = seen.filter((e) => e.stream === `w-${w}`);
      expect(mine.map((e) => e.revision)).toEqual(Array.from({ length: batchesEach * 2 }, (_, i) => i));
    }
  });
}
