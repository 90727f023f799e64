import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore, type NewEvent } from '#event-store';
import { SqliteDb, uuidv7 } from '#persistence';
import { AuditHistory } from './audit-history.js';

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
  afterAll(async () => {
    await store.close();
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('equals a full replay at positions and instants, cold and warm, and names the same last event', async () => {
    const reference = new AuditHistory(store, store);
    const history = new AuditHistory(store, store);
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
});
