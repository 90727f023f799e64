import type { EventStore, NewEvent } from '#event-store';
import { uuidv7, type SqlDb } from '#persistence';
import { SqlSnapshotStore } from './snapshots.js';

type SnapshotStoreFixture = { db: SqlDb; store: EventStore; close(): Promise<void> };

const ev = (type: string): NewEvent => ({ id: uuidv7(), type, schemaVersion: 1, data: {}, metadata: { actor: { sub: 'a', scopes: [] }, correlationId: uuidv7() } });

/** One contract for the snapshot store on every database. */
export function snapshotStoreContract(open: () => Promise<SnapshotStoreFixture>): void {
  let f: SnapshotStoreFixture;
  beforeEach(async () => {
    f = await open();
  });
  afterEach(async () => f.close());

  test('due: the events ending each run of `every` revisions, in a position range, oldest first', async () => {
    // model-a: revisions 0..6; model-b: 0..3, interleaved; a non-model stream too.
    await f.store.append('model-a', [ev('X'), ev('X'), ev('X')], { expectedRevision: 'no_stream' });
    await f.store.append('model-b', [ev('X'), ev('X'), ev('X'), ev('X')], { expectedRevision: 'no_stream' });
    await f.store.append('$policy', [ev('X'), ev('X'), ev('X')], { expectedRevision: 'no_stream' });
    await f.store.append('model-a', [ev('X'), ev('X'), ev('X'), ev('X')], { expectedRevision: 2 });
    const snapshots = new SqlSnapshotStore(f.db);
    const head = await f.store.headPosition();
    const all = await snapshots.due(0, head, 3);
    const byStream = (await f.store.readAll({ fromPosition: 0, limit: 100 })).filter((e) => (e.revision + 1) % 3 === 0);
    expect(all).toEqual(byStream.map((e) => ({ stream: e.stream, revision: e.revision, position: e.position })));
    expect(all.map((d) => `${d.stream}@${d.revision}`)).toEqual(['model-a@2', 'model-b@2', '$policy@2', 'model-a@5']);
    // The range is (after, upTo]: split anywhere, the parts add up to the whole.
    const mid = all[1].position;
    expect([...(await snapshots.due(0, mid, 3)), ...(await snapshots.due(mid, head, 3))]).toEqual(all);
    expect(await snapshots.due(head, head + 10, 3)).toEqual([]);
  });

  test('save, latest at a position, and the checkpoint', async () => {
    const snapshots = new SqlSnapshotStore(f.db);
    expect(await snapshots.checkpoint()).toBe(0);
    await snapshots.save('model-a', 999, 1200, { v: 1 });
    await snapshots.save('model-a', 1999, 2500, { v: 2 });
    expect(await snapshots.latest('model-a', 2499)).toEqual({ revision: 999, position: 1200, doc: { v: 1 } });
    expect(await snapshots.latest('model-a', 2500)).toEqual({ revision: 1999, position: 2500, doc: { v: 2 } });
    expect(await snapshots.latest('model-a', 1199)).toBeUndefined();
    await snapshots.save('model-a', 999, 1200, { v: 3 });
    expect((await snapshots.latest('model-a', 1200))?.doc).toEqual({ v: 3 });
    await snapshots.setCheckpoint(2500);
    expect(await snapshots.checkpoint()).toBe(2500);
  });
}
