import type { Dialect, SqlExecutor } from './sql-db.js';

/**
 * One forward-only schema change, as SQL for each store. Migrations are applied in version
 * order, each version once, inside one locked transaction; the checksum of the applied SQL is
 * recorded so an edited migration is refused instead of silently diverging between databases.
 */
export interface Migration {
  /** 1, 2, 3, … without gaps; the file is named `NNNN-<name>.ts`. */
  version: number;
  name: string;
  sqlite: string;
  postgres: string;
  /**
   * Rarely needed: true when this database already has the change because a build written
   * before the migration existed made it at start-up. The migration is then recorded as
   * `baseline` instead of run (its SQL would fail on the existing column or index).
   */
  alreadyPresent?(tx: SqlExecutor, dialect: Dialect): Promise<boolean>;
}

export function migrationSql(m: Migration, dialect: Dialect): string {
  return dialect === 'postgres' ? m.postgres : m.sqlite;
}
