import type { Dialect } from './sql-db.js';

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
}

export function migrationSql(m: Migration, dialect: Dialect): string {
  return dialect === 'postgres' ? m.postgres : m.sqlite;
}
