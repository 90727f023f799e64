import { createHash } from 'node:crypto';
import { migrationSql, type Migration } from './migration.js';
import { MIGRATIONS } from './migrations/index.js';
import type { Dialect, SqlDb, SqlTx } from './sql-db.js';

export const MIGRATIONS_TABLE = 'schema_migrations';

export interface AppliedMigration {
  version: number;
  name: string;
  /**
   * `applied`: its SQL ran here. `baseline`: the database already had this schema from a build
   * before the migration existed, so it was recorded (migration 1: only the tables that build
   * created lazily were added).
   */
  how: 'applied' | 'baseline';
}

export interface MigrationReport {
  dialect: Dialect;
  /** Schema version before and after this run. */
  from: number;
  to: number;
  /** What this run did, oldest first (empty when the schema was already current). */
  applied: AppliedMigration[];
}

/** Refuses to start: the database and this build disagree about the schema. */
export class MigrationError extends Error {}

const TABLE_DDL = `CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  checksum TEXT NOT NULL,
  how TEXT NOT NULL,
  applied_at TEXT NOT NULL
)`;

/** Line endings do not change a migration (a checkout on Windows must not look edited). */
export function migrationChecksum(sql: string): string {
  return createHash('sha256').update(sql.replace(/\r\n/g, '\n')).digest('hex');
}

/** The tables a migration creates, read from its SQL. */
function createdTables(sql: string): string[] {
  return [...sql.matchAll(/CREATE TABLE IF NOT EXISTS\s+("?)(\w+)\1/gi)].map((m) => m[2].toLowerCase());
}

/** Checks the list itself: versions 1..n in order, so a merge that numbers two files alike fails loudly. */
export function checkMigrationList(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new MigrationError(`migration list out of order: position ${i + 1} holds version ${m.version} (${m.name})`);
  });
}

/**
 * Brings the schema up to the newest migration this build knows, in one transaction under the
 * migration lock (see `SqlDb.lockedTransaction`): the first replica to start migrates, the
 * others wait and then find nothing to do. A database created before migrations existed (it has
 * an `events` table but no `schema_migrations`) gets migration 1 recorded as its baseline
 * without re-running it. Refuses (MigrationError) when an applied migration's SQL was edited, or
 * when the database is newer than this build.
 */
export async function migrate(db: SqlDb, migrations: readonly Migration[] = MIGRATIONS, now: () => Date = () => new Date()): Promise<MigrationReport> {
  checkMigrationList(migrations);
  return db.lockedTransaction('schema-migrations', async (tx) => {
    const tablesBefore = new Set((await tableNamesIn(tx, db.dialect)).map((t) => t.toLowerCase()));
    await tx.exec(TABLE_DDL);
    const rows = await tx.query<{ version: number; name: string; checksum: string }>(`SELECT version, name, checksum FROM ${MIGRATIONS_TABLE} ORDER BY version`);
    const from = rows.length === 0 ? 0 : Number(rows[rows.length - 1].version);
    const newest = migrations.length;
    if (from > newest) {
      throw new MigrationError(
        `the database schema is at version ${from} (${rows[rows.length - 1].name}) but this build knows migrations up to ${newest}: it was migrated by a newer build; run that build (or newer)`,
      );
    }
    for (const row of rows) {
      const known = migrations[Number(row.version) - 1];
      const sum = migrationChecksum(migrationSql(known, db.dialect));
      if (row.checksum !== sum) {
        throw new MigrationError(
          `migration ${row.version} (${row.name}) differs from the one applied to this database (checksum ${row.checksum.slice(0, 12)}…, now ${sum.slice(0, 12)}…): applied migrations are never edited; add a new migration instead`,
        );
      }
    }
    const applied: AppliedMigration[] = [];
    const record = async (m: Migration, how: AppliedMigration['how']) => {
      await tx.run(`INSERT INTO ${MIGRATIONS_TABLE} (version, name, checksum, how, applied_at) VALUES (?, ?, ?, ?, ?)`, [
        m.version,
        m.name,
        migrationChecksum(migrationSql(m, db.dialect)),
        how,
        now().toISOString(),
      ]);
      applied.push({ version: m.version, name: m.name, how });
    };
    let next = from + 1;
    if (from === 0 && tablesBefore.has('events') && migrations.length > 0) {
      // Written before migrations existed: that build's start-up DDL is migration 1.
      const baseline = migrations[0];
      const sql = migrationSql(baseline, db.dialect);
      const missing = createdTables(sql).filter((t) => !tablesBefore.has(t));
      // Only tables that build created lazily can be missing; its statements are all IF NOT EXISTS.
      if (missing.length > 0) await tx.exec(sql);
      await record(baseline, 'baseline');
      next = 2;
    }
    for (; next <= newest; next++) {
      const m = migrations[next - 1];
      if (await m.alreadyPresent?.(tx, db.dialect)) {
        await record(m, 'baseline');
        continue;
      }
      await tx.exec(migrationSql(m, db.dialect));
      await record(m, 'applied');
    }
    return { dialect: db.dialect, from, to: newest, applied };
  });
}

/** Inside the locked transaction, so the answer cannot change before the migrations run. */
async function tableNamesIn(tx: SqlTx, dialect: Dialect): Promise<string[]> {
  const sql =
    dialect === 'postgres'
      ? 'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()'
      : "SELECT name FROM sqlite_master WHERE type = 'table'";
  return (await tx.query<{ name: string }>(sql)).map((r) => r.name);
}

/** One line for logs and the migrate CLI. */
export function describeMigration(r: MigrationReport): string {
  if (r.applied.length === 0) return `schema up to date at version ${r.to}`;
  const list = r.applied.map((a) => `${a.version} ${a.name}${a.how === 'baseline' ? ' (recorded: the schema already existed)' : ''}`).join(', ');
  return `schema migrated from version ${r.from} to ${r.to}: ${list}`;
}
