import { uuidv7 } from '#persistence';
import type { SqlDb } from '#persistence';
import type { EventStore, NewEvent } from '#event-store';
import { ALL_PROJECTIONS, PROJECTION_STALL_MS, Projector, auditTrailProjection, registryProjection, type Projection } from './projector.js';
import { RegistryQueries } from './queries.js';
import { AuditTrailQueries } from './audit-queries.js';
import { rebuildAndCompare } from './rebuild.js';
import { createReadModelTables } from './tables.js';

const actor = { sub: 'alice', scopes: [] };
const ev = (type: string, data: unknown): NewEvent => ({ id: uuidv7(), type, schemaVersion: 1, data, metadata: { actor, correlationId: 'c' } });
const digest = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

async function seed(store: EventStore, models: number): Promise<void> {
  for (let m = 0; m < models; m++) {
    const name = `m${m}`;
    await store.append(
      `model-${name}`,
      [
        ev('ModelCreated', { name, owners: ['team'], tags: { k: 'v' } }),
        ev('VersionRegistered', { version: '1.0.0', artifact: { uri: 'u', digest: digest(m * 2 + 1), format: 'onnx' }, metrics: {}, params: {}, lineage: {}, tags: {} }),
        ev('VersionRegistered', { version: '1.1.0', artifact: { uri: 'u', digest: digest(m * 2 + 2), format: 'onnx' }, metrics: {}, params: {}, lineage: {}, tags: {} }),
        ev('VersionApproved', { version: '1.0.0', approvals: 1, required: 1 }),
        ev('VersionPromoted', { version: '1.0.0', from: 'None', to: 'Production' }),
        ev('AliasSet', { alias: 'prod', version: '1.0.0' }),
        ev('AliasSet', { alias: 'canary', version: '1.1.0' }),
        ev('AliasRemoved', { alias: 'canary', version: '1.1.0' }),
      ],
      { expectedRevision: 'no_stream' },
    );
  }
}

/** Names of rm_audit's secondary indexes, sorted. */
const auditIndexNames = async (db: SqlDb): Promise<string[]> =>
  (db.dialect === 'postgres'
    ? await db.query<{ name: string }>("SELECT indexname AS name FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'rm_audit' AND indexname <> 'rm_audit_pkey'")
    : await db.query<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'rm_audit' AND sql IS NOT NULL")
  )
    .map((r) => r.name)
    .sort();
const AUDIT_INDEXES = ['rm_audit_by_actor', 'rm_audit_by_correlation', 'rm_audit_by_model', 'rm_audit_by_time'];
/** The projections, with the audit trail's noting rm_audit's indexes (read by another connection) at every 4th event, inside the batch. */
const noting = (db: SqlDb, seen: string[][]): Projection[] =>
  ALL_PROJECTIONS.map((p) =>
    p.name !== auditTrailProjection.name
      ? p
      : {
          ...p,
          async apply(rows, e) {
            if (e.position % 4 === 0) seen.push(await auditIndexNames(db));
            await auditTrailProjection.apply(rows, e);
          },
        },
  );

/** Projector behaviour shared by the SQLite (unit) and PostgreSQL (integration) runs. */
export function projectorContract(open: () => Promise<{ db: SqlDb; store: EventStore; close(): Promise<void> }>): void {
  let fx: { db: SqlDb; store: EventStore; close(): Promise<void> };
  beforeEach(async () => {
    fx = await open();
    await createReadModelTables(fx.db, 'rm_');
  });
  afterEach(async () => fx.close());

  test('projects models, versions, aliases, queue and audit rows in small batches', async () => {
    await seed(fx.store, 7);
    const projector = new Projector(fx.db, fx.store, { batchSize: 5 });
    expect(await projector.catchUp()).toBe(56);
    const q = new RegistryQueries(fx.db);
    const m = await q.getModel('m3');
    expect(m).toMatchObject({ versionCount: 2, aliases: { prod: '1.0.0' }, latestVersions: { Production: '1.0.0', None: '1.1.0' } });
    expect((await q.approvalQueue({ limit: 100 })).items.map((i) => `${i.name}@${i.version}`)).toHaveLength(7);
    expect(await new AuditTrailQueries(fx.db).search({}, { order: 'asc', limit: 1000 })).toHaveLength(56);
    expect((await q.resolveAlias('m3', 'prod'))?.version).toBe('1.0.0');
    expect(await q.resolveAlias('m3', 'canary')).toBeUndefined();
  });

  test('lag: events behind the head, stalled only when behind and without progress for the stall time', async () => {
    await seed(fx.store, 1);
    const projector = new Projector(fx.db, fx.store);
    const head = await fx.store.headPosition();
    expect(await projector.lag()).toEqual({ head, position: 0, events: head, stalled: false });
    expect((await projector.lag(Date.now() + PROJECTION_STALL_MS + 1000)).stalled).toBe(true);
    await projector.catchUp();
    expect(await projector.lag(Date.now() + PROJECTION_STALL_MS + 1000)).toEqual({ head, position: head, events: 0, stalled: false });
  });

  test('a rebuild from position 0 is identical to the live read model, and a damaged live row is found', async () => {
    await seed(fx.store, 5);
    const live = new Projector(fx.db, fx.store);
    await live.catchUp();
    expect(await rebuildAndCompare(fx.db, fx.store, { live })).toMatchObject({ identical: true, position: 40 });
    await fx.db.run(`UPDATE rm_versions SET stage = 'Archived' WHERE model = 'm2' AND version = '1.0.0'`);
    const report = await rebuildAndCompare(fx.db, fx.store, { live });
    expect(report.identical).toBe(false);
    expect(report.differences).toEqual([{ table: 'versions', onlyLive: 1, onlyRebuilt: 1 }]);
  });

  test('far behind into an empty audit table: filled without its secondary indexes, built at the end; same rows and indexes as an ordinary catch-up', async () => {
    await seed(fx.store, 5);
    const during: string[][] = [];
    const bulk = new Projector(fx.db, fx.store, { batchSize: 8, bulkCatchUpEvents: 10, projections: noting(fx.db, during) });
    expect(await bulk.catchUp()).toBe(40);
    expect(during).toHaveLength(10);
    expect(during.every((names) => names.length === 0)).toBe(true);
    expect(await auditIndexNames(fx.db)).toEqual(AUDIT_INDEXES);
    expect(await rebuildAndCompare(fx.db, fx.store, { live: bulk })).toMatchObject({ identical: true, position: 40 });
    expect((await new AuditTrailQueries(fx.db).search({ model: 'm3' }, { order: 'asc', limit: 100 })).map((r) => r.type)).toEqual([
      'ModelCreated',
      'VersionRegistered',
      'VersionRegistered',
      'VersionApproved',
      'VersionPromoted',
      'AliasSet',
      'AliasSet',
      'AliasRemoved',
    ]);
    // Not far behind (the default threshold), or rows already there: the indexes stay while it catches up.
    await fx.db.exec('DELETE FROM rm_audit; DELETE FROM rm_checkpoints;');
    const seen: string[][] = [];
    await new Projector(fx.db, fx.store, { batchSize: 8, projections: noting(fx.db, seen) }).catchUp();
    const more = Array.from({ length: 12 }, (_, i) => ev('VersionRegistered', { version: `9.${i}.0`, artifact: { uri: 'u', digest: digest(500 + i), format: 'onnx' }, metrics: {}, params: {}, lineage: {}, tags: {} }));
    await fx.store.append('model-m0', more, { expectedRevision: 7 });
    await new Projector(fx.db, fx.store, { batchSize: 8, bulkCatchUpEvents: 10, projections: noting(fx.db, seen) }).catchUp();
    expect(seen).toHaveLength(13);
    expect(seen.every((names) => names.length === 4)).toBe(true);
  });

  test('a bulk catch-up cut short still leaves the audit table indexed, and one that died before the end is mended by the next start', async () => {
    await seed(fx.store, 5);
    let fail = true;
    const failing: Projection = {
      ...registryProjection,
      async apply(rows, e) {
        if (fail && e.position === 20) throw new Error('projection failed at 20');
        await registryProjection.apply(rows, e);
      },
    };
    const projections = ALL_PROJECTIONS.map((p) => (p.name === registryProjection.name ? failing : p));
    await expect(new Projector(fx.db, fx.store, { batchSize: 8, bulkCatchUpEvents: 10, projections }).catchUp()).rejects.toThrow('projection failed at 20');
    expect(await auditIndexNames(fx.db)).toEqual(AUDIT_INDEXES);
    expect(Number((await fx.db.query<{ n: number }>('SELECT count(*) AS n FROM rm_audit'))[0].n)).toBe(16);
    fail = false;
    // What a process killed mid-way leaves: rows, no indexes (here under other names, as a version swap leaves them).
    for (const name of AUDIT_INDEXES) await fx.db.exec(`DROP INDEX ${name}`);
    await new Projector(fx.db, fx.store, { projections }).catchUp();
    expect(await auditIndexNames(fx.db)).toEqual(AUDIT_INDEXES);
    expect(await rebuildAndCompare(fx.db, fx.store)).toMatchObject({ identical: true, position: 40 });
    // The catch-up fails and so does building the indexes (the database went away): the catch-up's
    // error is reported, and the same projector's next catch-up builds them.
    await fx.db.exec('DELETE FROM rm_audit; DELETE FROM rm_checkpoints; DELETE FROM rm_models; DELETE FROM rm_versions; DELETE FROM rm_aliases; DELETE FROM rm_approval_queue;');
    fail = true;
    let refuse = true;
    const flaky = new Proxy(fx.db, {
      get(target, key) {
        if (key === 'lockedTransaction' && refuse) return () => Promise.reject(new Error('connection lost'));
        const value = Reflect.get(target, key) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    const retrying = new Projector(flaky, fx.store, { batchSize: 8, bulkCatchUpEvents: 10, projections });
    await expect(retrying.catchUp()).rejects.toThrow('connection lost'); // the start-up check itself
    refuse = false;
    const started = retrying.catchUp();
    await expect(started).rejects.toThrow('projection failed at 20');
    expect(await auditIndexNames(fx.db)).toEqual(AUDIT_INDEXES);
    fail = false;
    await fx.db.exec('DELETE FROM rm_audit; DELETE FROM rm_checkpoints; DELETE FROM rm_models; DELETE FROM rm_versions; DELETE FROM rm_aliases; DELETE FROM rm_approval_queue;');
    fail = true;
    const cutShort = new Projector(flaky, fx.store, { batchSize: 8, bulkCatchUpEvents: 10, projections });
    await cutShort.catchUp(undefined, () => {
      refuse = true; // every lockedTransaction from the first batch on fails
    }).then(
      () => expect('catch-up').toBe('rejected'),
      (err: Error) => expect(err.message).toBe('projection failed at 20'),
    );
    expect(await auditIndexNames(fx.db)).toEqual([]);
    refuse = false;
    fail = false;
    await cutShort.catchUp();
    expect(await auditIndexNames(fx.db)).toEqual(AUDIT_INDEXES);

    // A table with some of its indexes is left as it is (an operator may have dropped one on purpose).
    await fx.db.exec('DROP INDEX rm_audit_by_time');
    await new Projector(fx.db, fx.store).catchUp();
    expect(await auditIndexNames(fx.db)).toEqual(AUDIT_INDEXES.filter((n) => n !== 'rm_audit_by_time'));
  });

  test('an audit time range is answered by recordedAt, not as a position range: times that do not grow with positions are found', async () => {
    // What two replicas (each reads its clock before the append lock) or a clock stepping back write.
    const times = ['2026-01-01T00:00:05.000Z', '2026-01-01T00:00:03.000Z', '2026-01-01T00:00:09.000Z', '2026-01-01T00:00:04.000Z', '2026-01-01T00:00:01.000Z'];
    for (const [i, at] of times.entries()) {
      await fx.db.run("INSERT INTO rm_audit (position, event_id, stream, model, type, actor, correlation_id, recorded_at) VALUES (?, ?, 'model-a', 'a', 'T', 'alice', 'c', ?)", [i + 1, `e${i + 1}`, at]);
    }
    const q = new AuditTrailQueries(fx.db);
    const positions = async (order: 'asc' | 'desc', after?: number) =>
      (await q.search({ from: '2026-01-01T00:00:03.000Z', to: '2026-01-01T00:00:05.000Z' }, { order, limit: 2, ...(after === undefined ? {} : { after }) })).map((r) => r.position);
    expect(await positions('asc')).toEqual([1, 2]);
    expect(await positions('asc', 2)).toEqual([4]);
    expect(await positions('desc')).toEqual([4, 2]);
    expect(await positions('desc', 2)).toEqual([1]);
  });

  test('a whole history in one batch (rows preloaded together) gives the same rows as one event per batch', async () => {
    await seed(fx.store, 6);
    // Later events on rows the batch itself created: preloading must not hide them behind an "absent" mark.
    await fx.store.append('model-m1', [ev('VersionRegistered', { version: '2.0.0', artifact: { uri: 'u', digest: digest(999), format: 'onnx' }, metrics: {}, params: {}, lineage: {}, tags: {} })], {
      expectedRevision: 7,
    });
    // A field the version was registered without, set later: stored alike whether or not it was set in the registration's batch.
    await fx.store.append('model-m1', [ev('VersionDescriptionUpdated', { version: '2.0.0', description: 'later' }), ev('VersionRejected', { version: '2.0.0', comment: 'no' })], {
      expectedRevision: 8,
    });
    await createReadModelTables(fx.db, 'rb_');
    await new Projector(fx.db, fx.store, { batchSize: 1 }).catchUp();
    await new Projector(fx.db, fx.store, { batchSize: 1000, prefix: 'rb_' }).catchUp();
    for (const [table, order] of [['models', 'name'], ['versions', 'model, version'], ['aliases', 'model, alias'], ['approval_queue', 'model, version']]) {
      const live = await fx.db.query(`SELECT * FROM rm_${table} ORDER BY ${order}`);
      expect(live.length).toBeGreaterThan(0);
      expect(await fx.db.query(`SELECT * FROM rb_${table} ORDER BY ${order}`)).toEqual(live);
    }
  });

  test('another projector moving ahead while a page is read ahead: nothing is applied twice, and the rows are the same as one pass', async () => {
    await seed(fx.store, 6);
    const head = await fx.store.headPosition();
    const other = new Projector(fx.db, fx.store, { batchSize: 7 });
    let reads = 0;
    // The second read is the page read ahead during the first batch: the other projector runs to the head before it answers.
    const store: EventStore = Object.create(fx.store);
    store.readAll = async (options) => {
      if (++reads === 2) await other.catchUp();
      return fx.store.readAll(options);
    };
    const reached = await new Projector(fx.db, store, { batchSize: 5 }).catchUp();
    expect(reads).toBeGreaterThanOrEqual(2);
    expect(reached).toBe(head);
    const audit = await fx.db.query<{ position: number }>('SELECT position FROM rm_audit ORDER BY position');
    expect(audit.map((r) => Number(r.position))).toEqual(Array.from({ length: head }, (_, i) => i + 1));
    expect((await fx.db.query<{ position: number }>('SELECT position FROM rm_checkpoints')).map((r) => Number(r.position))).toEqual([head, head, head]);
    await createReadModelTables(fx.db, 'rb_');
    await new Projector(fx.db, fx.store, { batchSize: 1000, prefix: 'rb_' }).catchUp();
    for (const [table, order] of [['models', 'name'], ['versions', 'model, version'], ['aliases', 'model, alias'], ['approval_queue', 'model, version']]) {
      expect(await fx.db.query(`SELECT * FROM rm_${table} ORDER BY ${order}`)).toEqual(await fx.db.query(`SELECT * FROM rb_${table} ORDER BY ${order}`));
    }
  });

  test('a batch that fails writes no rows and leaves every checkpoint where it was', async () => {
    await seed(fx.store, 2);
    let calls = 0;
    const exploding: Projection = {
      name: 'exploding',
      version: 1,
      tables: [],
      async apply(rows, e) {
        if (++calls === 12) throw new Error('boom');
        await registryProjection.apply(rows, e);
      },
    };
    const projector = new Projector(fx.db, fx.store, { projections: [registryProjection, exploding] });
    await expect(projector.catchUp()).rejects.toThrow('boom');
    expect(await fx.db.query('SELECT * FROM rm_models')).toEqual([]);
    expect(await fx.db.query('SELECT * FROM rm_checkpoints')).toEqual([]);
  });
}
