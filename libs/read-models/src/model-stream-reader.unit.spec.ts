import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fold, initialModelState, toModelEvent } from '#domain';
import { SqliteDb, uuidv7 } from '#persistence';
import { SqliteEventStore, type NewEvent } from '#event-store';
import { ModelStreamReader, READER_CACHE_DEFAULTS, SNAPSHOT_EVERY } from './model-stream-reader.js';

const actor = { sub: 'alice', scopes: [] };
const ev = (type: string, data: unknown): NewEvent => ({ id: uuidv7(), type, schemaVersion: 1, data, metadata: { actor, correlationId: 'c' } });

describe('ModelStreamReader in-process caches are bounded', () => {
  let dir: string;
  let db: SqliteDb;
  let store: SqliteEventStore;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ml-reader-'));
    db = new SqliteDb(join(dir, 'ledger.db'));
    store = await SqliteEventStore.open(db, { now: () => new Date() });
    // Three models whose streams cross SNAPSHOT_EVERY twice (two snapshots each when folded).
    for (const name of ['a', 'b', 'c']) {
      const events = [
        ev('ModelCreated', { name, owners: ['t'], tags: {} }),
        ev('VersionRegistered', { version: '1.0.0', artifact: { uri: 'u', format: 'onnx' }, metrics: {}, params: {}, lineage: {}, tags: {} }),
      ];
      while (events.length < 2 * SNAPSHOT_EVERY + 5) events.push(ev('GatePassed', { version: '1.0.0', gate: `g${events.length % 5}` }));
      for (let i = 0, rev = -1; i < events.length; i += 500) {
        const chunk = events.slice(i, i + 500);
        await store.append(`model-${name}`, chunk, { expectedRevision: rev < 0 ? 'no_stream' : rev });
        rev += chunk.length;
      }
    }
  });
  afterAll(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('defaults: a few hundred snapshots and answers', () => {
    expect(READER_CACHE_DEFAULTS).toEqual({ snapshots: 256, answers: 64 });
  });

  test('past the snapshot cap the least recently used stream is dropped; answers stay the same as a full fold', async () => {
    const reader = new ModelStreamReader(store, store, undefined, { snapshots: 3, answers: 2 });
    await reader.stateAt('a');
    expect(reader.cached()).toMatchObject({ snapshots: 2, streams: 1 });
    await reader.stateAt('b');
    // a's two snapshots are the least recent: dropped for b's.
    expect(reader.cached()).toMatchObject({ snapshots: 2, streams: 1 });
    await reader.stateAt('b', { position: (await store.readStream('model-b'))[SNAPSHOT_EVERY + 2].position });
    expect(reader.cached().answers).toBe(2);
    await reader.stateAt('c');
    expect(reader.cached()).toMatchObject({ snapshots: 2, streams: 1, answers: 2 });
    for (const name of ['a', 'b', 'c']) {
      const all = await store.readStream(`model-${name}`);
      expect((await reader.stateAt(name))?.state).toEqual(fold(initialModelState(name), all.map(toModelEvent)));
      const cut = all[SNAPSHOT_EVERY + 10];
      expect((await reader.stateAt(name, { position: cut.position }))?.state).toEqual(fold(initialModelState(name), all.slice(0, SNAPSHOT_EVERY + 11).map(toModelEvent)));
    }
    expect(reader.cached().snapshots).toBeLessThanOrEqual(3);
    expect(reader.cached().answers).toBeLessThanOrEqual(2);
  });

  test('a stream with more snapshots than the cap keeps no more than the cap', async () => {
    const reader = new ModelStreamReader(store, store, undefined, { snapshots: 1 });
    const state = await reader.stateAt('a');
    expect(reader.cached()).toMatchObject({ snapshots: 1, streams: 1 });
    expect(state?.revision).toBe(2 * SNAPSHOT_EVERY + 4);
  });

  test('a cap of 0 keeps no snapshot in process', async () => {
    const reader = new ModelStreamReader(store, store, undefined, { snapshots: 0 });
    await reader.stateAt('b');
    expect(reader.cached().snapshots).toBe(0);
  });
});
