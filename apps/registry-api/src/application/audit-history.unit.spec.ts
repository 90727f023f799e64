import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore, type NewEvent } from '#event-store';
import { SqliteDb, uuidv7 } from '#persistence';
import { ModelStreamReader, SqlSnapshotStore } from '#read-models';
import { AuditHistory, SNAPSHOT_EVERY } from './audit-history.js';
import { Snapshotter } from './snapshotter.js';
import { CommandService } from './command-service.js';

/** A long stream on a real SQLite store: snapshot-assisted replay must equal a full replay at every cut. */
describe('AuditHistory.stateAt with snapshots', () => {
  let dir: string;
  let db: SqliteDb;
  let store: SqliteEventStore;
  let t = Date.parse('2026-03-03T00:00:00.000Z');
  const clock = { now: () => new Date(t) };
  const ev = (type: string, data: unknown): NewEvent => ({ id: uuidv7(), type, schemaVersion: 1, data, metadata: { actor: { sub: 'a', scopes: [] }, correlationId: uuidv7() } });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ml-history-'));
    db = new SqliteDb(join(dir, 'ledger.db'));
    store = await SqliteEventStore.open(db, clock);
    const versions = Array.from({ length: 5 }, (_, v) => `1.${v}.0`);
    await store.append('model-m', [ev('ModelCreated', { name: 'm', owners: [], tags: {} })], { expectedRevision: 'no_stream' });
    for (const [i, version] of versions.entries()) {
      await store.append(
        'model-m',
        [ev('VersionRegistered', { version, artifact: { uri: 's3://x', digest: `sha256:${String(i).padStart(64, '0')}`, format: 'onnx' }, metrics: {}, params: {}, lineage: {}, tags: {} })],
        { expectedRevision: 'any' },
      );
    }
    for (let b = 0; b < 25; b++) {
      t += 60_000;
      await store.append('other', [ev('Noise', { b })], { expectedRevision: 'any' });
      await store.append('model-m', Array.from({ length: 100 }, (_, i) => ev('GatePassed', { version: versions[(b + i) % 5], gate: `g${i % 3}`, metrics: { s: b * 100 + i } })), {
        expectedRevision: 'any',
      });
    }
  });
  /** The store, counting the events each readStream returns. */
  function countingReads(): { counting: SqliteEventStore; reads: number[] } {
    const reads: number[] = [];
    const counting = Object.create(store) as SqliteEventStore;
    counting.readStream = async (stream, options) => {
      const events = await store.readStream(stream, options);
      reads.push(events.length);
      return events;
    };
    return { counting, reads };
  }

  afterAll(async () => {
    await store.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('equals a full replay at positions and instants, cold and warm, and names the same last event', async () => {
    const reference = new AuditHistory(new ModelStreamReader(store, store));
    const history = new AuditHistory(new ModelStreamReader(store, store));
    await history.stateAt('m'); // builds snapshots at revisions 999 and 1999
    const head = await store.headPosition();
    const cuts = [
      undefined,
      { position: 3 },
      { position: 1006 },
      { position: 1010 },
      { position: 2020 },
      { position: head },
      { at: '2026-03-03T00:00:00.000Z' },
      { at: '2026-03-03T00:10:30.000Z' },
      { at: '2026-03-03T00:20:00.000Z' },
    ];
    for (const cut of cuts) {
      const full = await reference.historyAt('m', cut);
      const fast = await history.stateAt('m', cut);
      expect(fast.state).toEqual(full.state);
      expect(fast.lastEvent).toEqual(full.lastEvent);
      expect(fast.eventCount).toBe(full.events.length);
    }
    await expect(history.stateAt('m', { at: '2026-03-02T00:00:00.000Z' })).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND_AT' });
  });

  test('persisted snapshots: a fresh process (new AuditHistory) folds at most SNAPSHOT_EVERY events, same answers as a full replay', async () => {
    const persisted = new SqlSnapshotStore(db);
    await new AuditHistory(new ModelStreamReader(store, store, persisted)).stateAt('m'); // folds everything once and persists revisions 999 and 1999
    let stored: unknown[] = [];
    for (let i = 0; i < 50 && stored.length < 2; i++) {
      stored = await db.query("SELECT revision FROM model_snapshots WHERE stream = 'model-m' ORDER BY revision");
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(stored).toEqual([{ revision: 999 }, { revision: 1999 }]);

    const reference = new AuditHistory(new ModelStreamReader(store, store));
    const head = await store.headPosition();
    for (const cut of [undefined, { position: 1010 }, { position: head }, { at: '2026-03-03T00:20:00.000Z' }, { position: 3 }]) {
      const { counting, reads } = countingReads();
      const cold = new AuditHistory(new ModelStreamReader(counting, store, persisted));
      const fast = await cold.stateAt('m', cut);
      const full = await reference.historyAt('m', cut);
      expect(fast.state).toEqual(full.state);
      expect(fast.lastEvent).toEqual(full.lastEvent);
      expect(fast.eventCount).toBe(full.events.length);
      expect(reads.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(SNAPSHOT_EVERY);
    }
    // A row written by a build that folds differently (another SNAPSHOT_FORMAT) is not used.
    const forged = { format: -1, state: { name: 'm', forged: true }, lastEvent: {} };
    await db.run("UPDATE model_snapshots SET doc = ? WHERE stream = 'model-m'", [JSON.stringify(forged)]);
    expect((await new AuditHistory(new ModelStreamReader(store, store, persisted)).stateAt('m', { position: head })).state).toEqual((await reference.historyAt('m', { position: head })).state);
    // Rebuildable: with the table emptied the answers stay the same (only slower).
    await db.run('DELETE FROM model_snapshots');
    expect((await new AuditHistory(new ModelStreamReader(store, store, persisted)).stateAt('m')).state).toEqual((await reference.historyAt('m')).state);
  });

  test('the snapshotter follows the store and writes the snapshots back after the table was emptied', async () => {
    await db.run('DELETE FROM model_snapshots');
    const persisted = new SqlSnapshotStore(db);
    const snapshotter = new Snapshotter(store, new ModelStreamReader(store, store, persisted), persisted);
    await snapshotter.onApplicationBootstrap();
    const head = await store.headPosition();
    for (let i = 0; i < 500 && (await persisted.checkpoint()) < head; i++) await new Promise((r) => setTimeout(r, 10));
    await snapshotter.onApplicationShutdown();
    expect(await persisted.checkpoint()).toBe(head);
    const rows = await db.query<{ revision: number }>("SELECT revision FROM model_snapshots WHERE stream = 'model-m' ORDER BY revision");
    expect(rows.map((r) => Number(r.revision))).toEqual([999, 1999]);
  });

  test('catching up, the snapshotter reads only the streams whose snapshots are due, never the whole store', async () => {
    await db.run('DELETE FROM model_snapshots');
    const persisted = new SqlSnapshotStore(db);
    const readStreams: string[] = [];
    const watched = Object.create(store) as SqliteEventStore;
    watched.readAll = async () => {
      throw new Error('the snapshotter read the whole store');
    };
    watched.readStream = async (stream, options) => {
      readStreams.push(stream);
      return store.readStream(stream, options);
    };
    const snapshotter = new Snapshotter(watched, new ModelStreamReader(watched, store, persisted), persisted);
    await snapshotter.onApplicationBootstrap();
    const head = await store.headPosition();
    for (let i = 0; i < 500 && (await persisted.checkpoint()) < head; i++) await new Promise((r) => setTimeout(r, 10));
    await snapshotter.onApplicationShutdown();
    expect(await persisted.checkpoint()).toBe(head);
    expect(new Set(readStreams)).toEqual(new Set(['model-m']));
    const rows = await db.query<{ revision: number }>("SELECT revision FROM model_snapshots WHERE stream = 'model-m' ORDER BY revision");
    expect(rows.map((r) => Number(r.revision))).toEqual([999, 1999]);
  });

  test('a repeated question is answered without reading the stream again, and a later cut is not confused with it', async () => {
    let reads = 0;
    const counting = Object.create(store) as SqliteEventStore;
    counting.readStream = async (stream, options) => {
      reads++;
      return store.readStream(stream, options);
    };
    const history = new AuditHistory(new ModelStreamReader(counting, store));
    const first = await history.stateAt('m', { position: 1500 });
    const readsAfterFirst = reads;
    expect(await history.stateAt('m', { position: 1500 })).toEqual(first);
    expect(reads).toBe(readsAfterFirst);
    const later = await history.stateAt('m', { position: 2500 });
    expect(later.eventCount).toBeGreaterThan(first.eventCount);
    expect(later.state).toEqual((await new AuditHistory(new ModelStreamReader(store, store)).historyAt('m', { position: 2500 })).state);
  });
  test('the command path loads through the same reader: a cold load of a long stream folds at most SNAPSHOT_EVERY events and equals a full fold', async () => {
    const persisted = new SqlSnapshotStore(db);
    await new ModelStreamReader(store, store, persisted).stateAt('m'); // persists revisions 999 and 1999
    for (let i = 0; i < 50 && (await db.query("SELECT 1 FROM model_snapshots WHERE stream = 'model-m'")).length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    const { counting, reads } = countingReads();
    // load() touches only the store, its cache and the reader (no projector, no policy, no ids).
    const commands = new CommandService(counting, undefined as never, undefined as never, undefined as never, new ModelStreamReader(counting, store, persisted));
    const loaded = await commands.load('m');
    const full = await new AuditHistory(new ModelStreamReader(store, store)).historyAt('m');
    expect(loaded.state).toEqual(full.state);
    expect(loaded.position).toBe(full.lastEvent.position);
    expect(reads.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(SNAPSHOT_EVERY);
  });
});
