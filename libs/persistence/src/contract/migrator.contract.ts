import { migrationSql, type Migration } from '../migration.js';
import { MIGRATIONS } from '../migrations/index.js';
import { MigrationError, migrate, migrationChecksum } from '../migrator.js';
import type { SqlDb } from '../sql-db.js';

export interface MigratorFixture {
  db: SqlDb;
  /**
   * Another connection (pool) to the same database, as a second replica would hold. Absent for
   * SQLite: node:sqlite waits for the file lock synchronously, so two connections in one thread
   * would block each other; its lock (BEGIN IMMEDIATE) is between processes.
   */
  openOther?(): SqlDb;
  close(): Promise<void>;
}

const tables = async (db: SqlDb): Promise<string[]> => {
  const sql =
    db.dialect === 'postgres'
      ? 'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()'
      : "SELECT name FROM sqlite_master WHERE type = 'table'";
  return (await db.query<{ name: string }>(sql)).map((r) => r.name).sort();
};
const indexes = async (db: SqlDb): Promise<string[]> => {
  const sql = db.dialect === 'postgres' ? 'SELECT indexname AS name FROM pg_indexes WHERE schemaname = current_schema()' : "SELECT name FROM sqlite_master WHERE type = 'index'";
  return (await db.query<{ name: string }>(sql)).map((r) => r.name);
};
const applied = (db: SqlDb) => db.query<{ version: number; name: string; how: string; checksum: string }>('SELECT version, name, how, checksum FROM schema_migrations ORDER BY version');

const extra = (version: number, sql: string): Migration => ({ version, name: `test-${version}`, sqlite: sql, postgres: sql });

/** Migration runner behaviour shared by the SQLite (unit) and PostgreSQL (integration) runs. */
export function migratorContract(open: () => Promise<MigratorFixture>, options: { replicas: boolean }): void {
  let fx: MigratorFixture;
  beforeEach(async () => {
    fx = await open();
  });
  afterEach(async () => {
    await fx.close();
  });

  test('a fresh database gets every migration, recorded with its checksum; a second run does nothing', async () => {
    const report = await migrate(fx.db);
    expect(report).toMatchObject({ dialect: fx.db.dialect, from: 0, to: MIGRATIONS.length });
    expect(report.applied.map((a) => [a.version, a.how])).toEqual(MIGRATIONS.map((m) => [m.version, 'applied']));
    expect(await tables(fx.db)).toEqual(expect.arrayContaining(['events', 'rm_models', 'rm_versions', 'rm_audit', 'rm_checkpoints', 'idempotency_keys', 'relay_checkpoints', 'schema_migrations']));
    const rows = await applied(fx.db);
    expect(rows.map((r) => [Number(r.version), r.checksum])).toEqual(MIGRATIONS.map((m) => [m.version, migrationChecksum(migrationSql(m, fx.db.dialect))]));
    expect(await migrate(fx.db)).toMatchObject({ from: MIGRATIONS.length, to: MIGRATIONS.length, applied: [] });
    expect(await applied(fx.db)).toHaveLength(MIGRATIONS.length);
  });

  test('a database from before migrations keeps its rows; migration 1 is recorded as its baseline and only lazily created tables are added', async () => {
    // What the last build before migrations left: its start-up DDL, minus the relay table it created only when a relay ran.
    const oldDdl = migrationSql(MIGRATIONS[0], fx.db.dialect).replace(/CREATE TABLE IF NOT EXISTS relay_checkpoints \([^;]*\);/, '');
    await fx.db.exec(oldDdl);
    await fx.db.run(
      `INSERT INTO events (position, id, stream, revision, type, schema_version, data, metadata, recorded_at, prev_hash, hash) VALUES (1, '0190a000-0000-7000-8000-000000000001', 'model-a', 0, 'ModelCreated', 1, '{"name":"a"}', '{}', '2026-01-01T00:00:00.000Z', ?, ?)`,
      ['0'.repeat(64), 'f'.repeat(64)],
    );
    await fx.db.run(`INSERT INTO idempotency_keys (key_hash, request_hash, state, created_at) VALUES ('k', 'r', 'done', 'now')`);
    expect(await tables(fx.db)).not.toContain('relay_checkpoints');
    const report = await migrate(fx.db);
    expect(report.from).toBe(0);
    expect(report.applied[0]).toEqual({ version: 1, name: MIGRATIONS[0].name, how: 'baseline' });
    expect(report.applied.slice(1).every((a) => a.how === 'applied')).toBe(true);
    expect(await tables(fx.db)).toContain('relay_checkpoints');
    expect((await fx.db.query('SELECT id, hash FROM events')).map((r) => r.hash)).toEqual(['f'.repeat(64)]);
    expect(await fx.db.query('SELECT key_hash FROM idempotency_keys')).toEqual([{ key_hash: 'k' }]);
    expect((await applied(fx.db))[0]).toMatchObject({ name: MIGRATIONS[0].name, how: 'baseline' });
  });

  test('when every baseline table exists, migration 1 is recorded without running (a dropped index stays dropped)', async () => {
    await fx.db.exec(migrationSql(MIGRATIONS[0], fx.db.dialect));
    // An index of migration 1 that no later migration creates again (migration 8 rebuilds rm_audit's on SQLite).
    await fx.db.exec('DROP INDEX rm_versions_by_reg');
    await migrate(fx.db);
    expect(await indexes(fx.db)).not.toContain('rm_versions_by_reg');
    expect((await applied(fx.db))[0].how).toBe('baseline');
  });

  test('a database from a build that made a later change itself before its migration existed: that migration is recorded, not re-run', async () => {
    // What main wrote between the idempotency leases (made at start-up) and migrations.
    await fx.db.exec(migrationSql(MIGRATIONS[0], fx.db.dialect));
    await fx.db.exec('ALTER TABLE idempotency_keys ADD COLUMN owner TEXT; ALTER TABLE idempotency_keys ADD COLUMN lease_until TEXT');
    await fx.db.exec('CREATE INDEX IF NOT EXISTS idempotency_keys_created_at ON idempotency_keys (created_at)');
    const report = await migrate(fx.db);
    const leases = MIGRATIONS.find((m) => m.name === 'idempotency-leases')!;
    expect(report.applied.find((a) => a.version === leases.version)).toEqual({ version: leases.version, name: leases.name, how: 'baseline' });
    expect(report.applied.find((a) => a.name === 'projection-versions')?.how).toBe('applied');
  });

  test('a new migration file is applied once, on top of the recorded ones', async () => {
    await migrate(fx.db);
    const next = extra(MIGRATIONS.length + 1, 'CREATE TABLE widgets (id TEXT PRIMARY KEY)');
    const report = await migrate(fx.db, [...MIGRATIONS, next]);
    expect(report.applied).toEqual([{ version: next.version, name: next.name, how: 'applied' }]);
    expect(await tables(fx.db)).toContain('widgets');
    expect((await migrate(fx.db, [...MIGRATIONS, next])).applied).toEqual([]);
  });

  test('migration 8 (rm_audit keyed by its rowid on SQLite) keeps every audit row and the query indexes, whatever the old indexes were named', async () => {
    const before8 = MIGRATIONS.filter((m) => m.version < 8);
    await migrate(fx.db, before8);
    const rows = [
      [3, 'e3', 'model-a', 'a', '1.0.0', 'VersionRegistered', 'alice', null, 'c1', '2026-01-01T00:00:03.000Z'],
      [1, 'e1', 'model-a', 'a', null, 'ModelCreated', 'alice', null, 'c1', '2026-01-01T00:00:01.000Z'],
      [9_007_199_254_740, 'e9', 'approver-directory', null, null, 'ApproverAdded', 'bob', 'because', 'c2', '2025-12-31T23:59:59.000Z'],
    ];
    for (const r of rows) {
      await fx.db.run('INSERT INTO rm_audit (position, event_id, stream, model, version, type, actor, reason, correlation_id, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', r);
    }
    // A projection-version swap leaves the live table with its shadow's index names.
    await fx.db.exec('DROP INDEX rm_audit_by_model; CREATE INDEX rm_audit_v2_by_model ON rm_audit (model, position)');
    const all = () => fx.db.query('SELECT position, event_id, stream, model, version, type, actor, reason, correlation_id, recorded_at FROM rm_audit ORDER BY position');
    const old = await all();
    expect((await migrate(fx.db)).applied.map((a) => a.version)).toEqual([8]);
    expect(await all()).toEqual(old);
    expect(old.map((r) => Number(r.position))).toEqual([1, 3, 9_007_199_254_740]);
    const auditIndexes = (await indexes(fx.db)).filter((n) => n.startsWith('rm_audit'));
    if (fx.db.dialect === 'sqlite') {
      expect(auditIndexes.sort()).toEqual(['rm_audit_by_actor', 'rm_audit_by_correlation', 'rm_audit_by_model', 'rm_audit_by_time']);
      // The key is the rowid itself: no separate unique index for it.
      expect(await fx.db.query("SELECT name FROM pragma_index_list('rm_audit') WHERE origin = 'pk'")).toEqual([]);
      expect(await fx.db.query("SELECT type FROM pragma_table_info('rm_audit') WHERE pk = 1")).toEqual([{ type: 'INTEGER' }]);
    } else {
      expect(auditIndexes.sort()).toEqual(['rm_audit_by_actor', 'rm_audit_by_correlation', 'rm_audit_by_time', 'rm_audit_pkey', 'rm_audit_v2_by_model']);
    }
    // The key still refuses a second row at a position.
    await expect(fx.db.run("INSERT INTO rm_audit (position, event_id, stream, type, actor, correlation_id, recorded_at) VALUES (3, 'x', 's', 't', 'a', 'c', 'r')")).rejects.toThrow();
  });

  test('a migration that fails leaves nothing behind: no table, no record, and the next run retries it', async () => {
    await migrate(fx.db);
    const bad = extra(MIGRATIONS.length + 1, 'CREATE TABLE half_done (id TEXT PRIMARY KEY); INSERT INTO no_such_table VALUES (1);');
    await expect(migrate(fx.db, [...MIGRATIONS, bad])).rejects.toThrow(/no_such_table/);
    expect(await tables(fx.db)).not.toContain('half_done');
    expect(await applied(fx.db)).toHaveLength(MIGRATIONS.length);
    const fixed = extra(MIGRATIONS.length + 1, 'CREATE TABLE half_done (id TEXT PRIMARY KEY);');
    expect((await migrate(fx.db, [...MIGRATIONS, fixed])).applied).toHaveLength(1);
  });

  test('an applied migration whose SQL was edited is refused, naming it', async () => {
    await migrate(fx.db);
    const edited = MIGRATIONS.map((m, i) => (i === 0 ? { ...m, sqlite: `${m.sqlite}\n-- edited`, postgres: `${m.postgres}\n-- edited` } : m));
    await expect(migrate(fx.db, edited)).rejects.toThrow(MigrationError);
    await expect(migrate(fx.db, edited)).rejects.toThrow(/migration 1 \(baseline\) differs from the one applied.*add a new migration instead/);
  });

  test('a database migrated by a newer build is refused by an older one', async () => {
    await migrate(fx.db, [...MIGRATIONS, extra(MIGRATIONS.length + 1, 'CREATE TABLE newer (id TEXT)')]);
    await expect(migrate(fx.db)).rejects.toThrow(/schema is at version \d+ .*this build knows migrations up to/);
  });

  test('a migration list with a gap or duplicate version is refused before touching the database', async () => {
    await expect(migrate(fx.db, [...MIGRATIONS, extra(MIGRATIONS.length + 2, 'SELECT 1')])).rejects.toThrow(/out of order/);
    expect(await tables(fx.db)).not.toContain('schema_migrations');
  });

  // Registered only where one process can hold two connections that wait for each other (PostgreSQL).
  if (!options.replicas) return;
  test('two replicas migrating at once: one applies, the other waits and finds nothing to do', async () => {
    const other = fx.openOther!();
    try {
      // A slow migration, so the second really arrives while the first holds the lock.
      const slow = extra(MIGRATIONS.length + 1, fx.db.dialect === 'postgres' ? 'CREATE TABLE slow (id TEXT); SELECT pg_sleep(0.3);' : 'CREATE TABLE slow (id TEXT)');
      const list = [...MIGRATIONS, slow];
      const [a, b] = await Promise.all([migrate(fx.db, list), migrate(other, list)]);
      const counts = [a.applied.length, b.applied.length].sort();
      expect(counts).toEqual([0, list.length]);
      expect(await applied(fx.db)).toHaveLength(list.length);
    } finally {
      await other.close();
    }
  });
}
