import { modelNameOfStream } from '#domain';
import { uuidv7, type SqlDb } from '#persistence';
import type { EventStore, NewEvent } from '#event-store';
import { upgradeProjections } from './projection-versions.js';
import { ALL_PROJECTIONS, Projector, registryProjection, storedProjectionVersions, type Projection } from './projector.js';
import { RegistryQueries } from './queries.js';
import { rebuildAndCompare } from './rebuild.js';
import { READ_MODEL_TABLES, indexDdl, tableDdl } from './tables.js';

const actor = { sub: 'alice', scopes: [] };
const ev = (type: string, data: unknown): NewEvent => ({ id: uuidv7(), type, schemaVersion: 1, data, metadata: { actor, correlationId: 'c' } });
const digest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

async function addModel(store: EventStore, m: number): Promise<void> {
  await store.append(
    `model-m${m}`,
    [
      ev('ModelCreated', { name: `m${m}`, owners: ['team'], tags: { k: 'v' } }),
      ev('VersionRegistered', { version: '1.0.0', artifact: { uri: 'u', digest: digest(m + 1), format: 'onnx' }, metrics: {}, params: {}, lineage: {}, tags: {} }),
      ev('AliasSet', { alias: 'canary', version: '1.0.0' }),
    ],
    { expectedRevision: 'no_stream' },
  );
}

/** The registry projection at version `v`: its model docs carry `builtBy`, so rows written by each version are told apart. */
const registryAt = (v: number): Projection => ({
  ...registryProjection,
  version: v,
  async apply(rows, e) {
    await registryProjection.apply(rows, e);
    // Marked after every event: the registry maps each model row afresh from the domain's state.
    const name = modelNameOfStream(e.stream);
    if (!name) return;
    const row = await rows.get<Record<string, unknown>>('models', [name]);
    if (row) rows.put('models', [name], { ...row, builtBy: v });
  },
});
const withRegistry = (p: Projection) => ALL_PROJECTIONS.map((x) => (x.name === p.name ? p : x));

const builtBy = async (db: SqlDb) => (await db.query<{ doc: string }>('SELECT doc FROM rm_models ORDER BY name')).map((r) => (JSON.parse(r.doc) as { builtBy?: number }).builtBy);
/** Columns (name, type, nullability, collation), primary key and indexes (columns, uniqueness) of a table, with the table's name taken out of index names. */
async function shapeOf(db: SqlDb, table: string): Promise<unknown> {
  const bare = (n: string) => n.split(table).join('<t>');
  if (db.dialect === 'postgres') {
    const columns = await db.query(
      'SELECT column_name, data_type, is_nullable, collation_name, ordinal_position FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position',
      [table],
    );
    const indexes = await db.query<{ indexname: string; indexdef: string }>('SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = ? ORDER BY indexname', [table]);
    return { columns, indexes: indexes.map((i) => bare(i.indexdef).replace(/ ON \w+\.<t> /, ' ON <t> ')).sort() };
  }
  const columns = await db.query(`SELECT name, type, "notnull", pk, dflt_value FROM pragma_table_info(?) ORDER BY cid`, [table]);
  const list = await db.query<{ name: string; unique: number; origin: string; partial: number }>('SELECT name, "unique", origin, partial FROM pragma_index_list(?)', [table]);
  const indexes = [];
  for (const i of list) {
    const cols = (await db.query<{ name: string | null }>('SELECT name FROM pragma_index_info(?) ORDER BY seqno', [i.name])).map((c) => c.name);
    indexes.push({ name: i.origin === 'c' ? bare(i.name) : i.origin, unique: i.unique, partial: i.partial, cols });
  }
  // "rowid" tables whose key is not the rowid carry an extra unique index (origin pk); the key's declared type tells the rest.
  return { columns, indexes: indexes.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))) };
}

const indexesOn = async (db: SqlDb, table: string) =>
  db.dialect === 'postgres'
    ? (await db.query<{ name: string }>('SELECT indexname AS name FROM pg_indexes WHERE schemaname = current_schema() AND tablename = ?', [table])).map((r) => r.name)
    : (await db.query<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?", [table])).map((r) => r.name);

/** Projection versions, shared by SQLite (unit) and PostgreSQL (int). */
export function projectionVersionsContract(open: () => Promise<{ db: SqlDb; store: EventStore; close(): Promise<void> }>): void {
  let fx: { db: SqlDb; store: EventStore; close(): Promise<void> };
  beforeEach(async () => {
    fx = await open();
  });
  afterEach(async () => fx.close());

  test('a fresh database filled by this build records the versions that built it, so its first catch-up is not followed by a rebuild', async () => {
    for (let m = 0; m < 5; m++) await addModel(fx.store, m);
    const v3 = withRegistry(registryAt(3));
    await new Projector(fx.db, fx.store, { projections: v3 }).catchUp();
    expect((await storedProjectionVersions(fx.db)).get('registry')).toBe(3);
    // Version 1 is what no row means: nothing written for it.
    expect((await fx.db.query('SELECT projection FROM projection_versions')).map((r) => r.projection)).toEqual(['registry']);
    expect(await upgradeProjections(fx.db, fx.store, v3)).toEqual([]);
    expect(new Set(await builtBy(fx.db))).toEqual(new Set([3]));
    // A newer build still rebuilds what the older one recorded.
    const v4 = withRegistry(registryAt(4));
    expect(await upgradeProjections(fx.db, fx.store, v4)).toEqual([{ projection: 'registry', from: 3, to: 4, position: expect.any(Number), events: 15 }]);
  });

  test('tables projected before versions were recorded (checkpoint past 0, no row) are still rebuilt by a newer build', async () => {
    for (let m = 0; m < 5; m++) await addModel(fx.store, m);
    await new Projector(fx.db, fx.store, { projections: withRegistry(registryAt(1)) }).catchUp();
    await addModel(fx.store, 5);
    const v2 = withRegistry(registryAt(2));
    // The newer build's projector follows the tables at position 15: they are not fresh, so no version is recorded for it.
    await new Projector(fx.db, fx.store, { projections: v2 }).catchUp();
    expect(await storedProjectionVersions(fx.db)).toEqual(new Map());
    expect(await upgradeProjections(fx.db, fx.store, v2)).toEqual([{ projection: 'registry', from: 1, to: 2, position: expect.any(Number), events: 18 }]);
    expect(new Set(await builtBy(fx.db))).toEqual(new Set([2]));
  });

  test('bumping a projection version rebuilds it into shadow tables and swaps, while appends and reads go on; the result equals a fresh fold', async () => {
    for (let m = 0; m < 30; m++) await addModel(fx.store, m);
    const v1 = new Projector(fx.db, fx.store, { projections: withRegistry(registryAt(1)) });
    await v1.catchUp();
    expect(new Set(await builtBy(fx.db))).toEqual(new Set([1]));

    // The new build: registry at version 2, following appends as the server does.
    const v2projections = withRegistry(registryAt(2));
    const live = new Projector(fx.db, fx.store, { projections: v2projections });
    live.start(20);
    const queries = new RegistryQueries(fx.db);
    let next = 30;
    let appendsDuringRebuild = 0;
    let readsDuringRebuild = 0;
    const shadowIndexes: string[] = [];
    // And a writer that does not wait for the rebuild at all.
    let rebuilding = true;
    let concurrentAppends = 0;
    const writer = (async () => {
      while (rebuilding && concurrentAppends < 20) {
        await addModel(fx.store, next++);
        concurrentAppends++;
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    const report = await upgradeProjections(fx.db, fx.store, v2projections, {
      batchSize: 10,
      // Between shadow batches, the ledger keeps taking writes and serving reads from the live tables.
      onBatch: async () => {
        shadowIndexes.push(...(await indexesOn(fx.db, 'rm_versions_v2')).filter((n) => n.includes('by_reg')));
        const m = next++;
        await addModel(fx.store, m);
        appendsDuringRebuild++;
        await live.catchUp(await fx.store.headPosition());
        if ((await queries.getModel(`m${m}`)) !== undefined) readsDuringRebuild++;
      },
    });
    rebuilding = false;
    await writer;
    expect(concurrentAppends).toBeGreaterThanOrEqual(1);
    expect(report).toEqual([{ projection: 'registry', from: 1, to: 2, position: expect.any(Number), events: expect.any(Number) }]);
    expect(appendsDuringRebuild).toBeGreaterThanOrEqual(9);
    // The shadow was filled without its secondary index (nobody reads it before the swap); it is built before the swap.
    expect(shadowIndexes).toEqual([]);
    expect(readsDuringRebuild).toBe(appendsDuringRebuild);
    // Events appended during the rebuild are in the swapped tables too (folded in at the swap).
    expect(report[0].position).toBeGreaterThan(90);
    expect((await storedProjectionVersions(fx.db)).get('registry')).toBe(2);

    await addModel(fx.store, next++);
    await live.catchUp(await fx.store.headPosition());
    await live.stop();
    // Every row, old events included, was built by version 2, and equals a fresh fold by the same code.
    expect(new Set(await builtBy(fx.db))).toEqual(new Set([2]));
    expect((await fx.db.query('SELECT name FROM rm_models')).length).toBe(next);
    const compared = await rebuildAndCompare(fx.db, fx.store, { projections: v2projections });
    expect(compared.differences).toEqual([]);
    expect(compared.identical).toBe(true);
    // Only the registry's tables were rebuilt; the shadows are gone; the swapped table kept its index.
    expect((await fx.db.query("SELECT projection FROM projection_versions")).map((r) => r.projection)).toEqual(['registry']);
    expect(await indexesOn(fx.db, 'rm_models_v2')).toEqual([]);
    expect((await indexesOn(fx.db, 'rm_versions')).some((n) => n.includes('by_reg'))).toBe(true);

    // A second bump works on the swapped tables (no name left over collides).
    const v3projections = withRegistry(registryAt(3));
    expect(await upgradeProjections(fx.db, fx.store, v3projections)).toHaveLength(1);
    expect(new Set(await builtBy(fx.db))).toEqual(new Set([3]));
    expect(await upgradeProjections(fx.db, fx.store, v3projections)).toEqual([]);
  });

  test('the DDL shadows are built from gives the shape the migrations gave the live tables, also when the indexes are added after filling', async () => {
    for (const t of READ_MODEL_TABLES) {
      await fx.db.exec(tableDdl(t, `shape_${t}`, fx.db.dialect));
      await fx.db.exec(tableDdl(t, `late_${t}`, fx.db.dialect, { secondaryIndexes: false }));
      const late = indexDdl(t, `late_${t}`, fx.db.dialect);
      if (late) await fx.db.exec(late);
      const live = await shapeOf(fx.db, `rm_${t}`);
      expect({ t, shape: await shapeOf(fx.db, `shape_${t}`) }).toEqual({ t, shape: live });
      expect({ t, shape: await shapeOf(fx.db, `late_${t}`) }).toEqual({ t, shape: live });
    }
    // The audit table's key is the rowid itself on SQLite (migration 8): no separate key index.
    const audit = (await shapeOf(fx.db, 'rm_audit')) as { indexes: ({ name: string } | string)[] };
    if (fx.db.dialect === 'sqlite') expect(audit.indexes.map((i) => (typeof i === 'string' ? i : i.name)).sort()).toEqual(['<t>_by_actor', '<t>_by_correlation', '<t>_by_model', '<t>_by_time']);
    else expect(audit.indexes).toHaveLength(5);
  });

  test('an older build leaves a projection rebuilt by a newer one alone, and still catches up the others', async () => {
    for (let m = 0; m < 3; m++) await addModel(fx.store, m);
    await upgradeProjections(fx.db, fx.store, withRegistry(registryAt(2)));
    const v2 = new Projector(fx.db, fx.store, { projections: withRegistry(registryAt(2)) });
    await v2.catchUp();
    await addModel(fx.store, 3);
    const old = new Projector(fx.db, fx.store, { projections: withRegistry(registryAt(1)) });
    const head = await fx.store.headPosition();
    expect(await old.catchUp(head)).toBe(head);
    // The old build wrote its other projections but not the registry's tables.
    expect(await fx.db.query("SELECT model FROM rm_approval_queue WHERE model = 'm3'")).toHaveLength(1);
    expect(await fx.db.query("SELECT name FROM rm_models WHERE name = 'm3'")).toEqual([]);
    await v2.catchUp(head);
    expect(new Set(await builtBy(fx.db))).toEqual(new Set([2]));
  });

  test('two rebuilds at once: one does the work, the other skips it', async () => {
    for (let m = 0; m < 5; m++) await addModel(fx.store, m);
    const p = withRegistry(registryAt(2));
    const [a, b] = await Promise.all([upgradeProjections(fx.db, fx.store, p, { batchSize: 2 }), upgradeProjections(fx.db, fx.store, p, { batchSize: 2 })]);
    expect([a.length, b.length].sort()).toEqual([0, 1]);
    expect(new Set(await builtBy(fx.db))).toEqual(new Set([2]));
  });
}
