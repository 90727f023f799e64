import { uuidv7, type SqlDb } from '#persistence';
import { verifyStore } from '#audit';
import type { UpcasterRegistry } from '#domain';
import type { NewEvent } from '../port.js';
import type { SqlEventStore, StoreOptions } from '../sql-event-store.js';

const actor = { sub: 'alice', scopes: [] };
const ev = (type: string, data: unknown, schemaVersion = 1): NewEvent => ({ id: uuidv7(), type, schemaVersion, data, metadata: { actor, correlationId: uuidv7() } });

/** VersionRejected v2: a new field with a default. */
const V2: UpcasterRegistry = { VersionRejected: [(d) => ({ reasonCode: 'unspecified', ...(d as object) })] };

export interface UpcastingFixture {
  db: SqlDb;
  open(options: StoreOptions): Promise<SqlEventStore>;
  close(): Promise<void>;
}

/** Upcasting on read, shared by SQLite (unit) and PostgreSQL (int). */
export function upcastingContract(setup: () => Promise<UpcastingFixture>): void {
  let fx: UpcastingFixture;
  beforeEach(async () => {
    fx = await setup();
  });
  afterEach(async () => fx.close());

  const rawRows = () => fx.db.query('SELECT position, schema_version, data, metadata, hash, prev_hash FROM events ORDER BY position');

  test('v1 events read as v2 through the upcaster; stored bytes and hashes are unchanged and the chain verifies', async () => {
    // Written by a build where VersionRejected was still v1.
    const before = await fx.open({ upcasters: {} });
    await before.append(
      'model-churn',
      [
        ev('ModelCreated', { name: 'churn', owners: [], tags: {} }),
        ev('VersionRegistered', { version: '1.0.0', artifact: { uri: 'u', digest: `sha256:${'1'.repeat(64)}`, format: 'onnx' }, metrics: {}, params: {}, lineage: {}, tags: {} }),
        ev('VersionRejected', { version: '1.0.0', comment: 'drift' }),
      ],
      { expectedRevision: 'no_stream' },
    );
    const rawBefore = await rawRows();
    const chainBefore = await before.readChain({ fromPosition: 0, limit: 100 });

    // The new build registers the v2 upcaster.
    const store = await fx.open({ upcasters: V2 });
    const [created, , rejected] = await store.readStream('model-churn');
    expect(rejected).toMatchObject({ type: 'VersionRejected', schemaVersion: 2, storedSchemaVersion: 1, data: { version: '1.0.0', comment: 'drift', reasonCode: 'unspecified' } });
    expect(rejected.hash).toBe(chainBefore[2].hash);
    // Types without an upcaster are untouched.
    expect(created.schemaVersion).toBe(1);
    expect(created).not.toHaveProperty('storedSchemaVersion');
    expect((await store.readAll()).find((e) => e.type === 'VersionRejected')?.data).toEqual({ version: '1.0.0', comment: 'drift', reasonCode: 'unspecified' });

    // Nothing was written back: rows, chain view and verification are exactly as before.
    expect(await rawRows()).toEqual(rawBefore);
    expect(await store.readChain({ fromPosition: 0, limit: 100 })).toEqual(chainBefore);
    expect(chainBefore[2].schemaVersion).toBe(1);
    expect(chainBefore[2].dataJcs).toBe('{"comment":"drift","version":"1.0.0"}');

    // A v2 event written now is stored as v2 and not upcast again; the chain spans both versions.
    await store.append('model-churn', [ev('VersionRejected', { version: '1.0.0', reasonCode: 'policy' }, 2)], { expectedRevision: 2 });
    const [, , , latest] = await store.readStream('model-churn');
    expect(latest).toMatchObject({ schemaVersion: 2, data: { version: '1.0.0', reasonCode: 'policy' } });
    expect(latest).not.toHaveProperty('storedSchemaVersion');
    const report = await verifyStore(store, { keys: [] });
    expect(report).toMatchObject({ ok: true, verified: 4 });
  });
}
