import type { Dialect, SqlDb } from '#persistence';

/** Live read models use prefix `rm_`; a rebuild-and-compare writes `rb_` tables beside them. */
export type TablePrefix = 'rm_' | 'rb_';

/** The tables projections write (each owned by one projection), plus the checkpoints. */
export type ProjectionTable = 'models' | 'versions' | 'aliases' | 'approval_queue' | 'audit';

/**
 * The current shape of each read-model table, by logical name, for any physical name: the live
 * `rm_` tables have exactly this shape once the migrations ran (`tables.unit.spec.ts` compares
 * them); a projection whose version changes rebuilds its tables from this DDL into shadow tables
 * and swaps them in (projection-versions.ts). Index names derive from the physical name, so a
 * shadow's indexes never collide with the live ones.
 */
export function tableDdl(table: ProjectionTable | 'checkpoints', name: string, dialect: Dialect, options: { secondaryIndexes?: boolean } = {}): string {
  const ddl = tableAndIndexesDdl(table, name, dialect);
  // Secondary indexes serve the queries only; a table nobody queries yet (a rebuild compared by
  // key, a shadow before its swap) is filled faster without them: `indexDdl` adds them at the end.
  return options.secondaryIndexes === false ? ddl.replace(/\nCREATE INDEX [^\n]*/g, '') : ddl;
}

/** Only the secondary indexes of `tableDdl` (none for most tables): built once over a filled table. */
export function indexDdl(table: ProjectionTable | 'checkpoints', name: string, dialect: Dialect): string {
  return (tableAndIndexesDdl(table, name, dialect).match(/^CREATE INDEX [^\n]*/gm) ?? []).join('\n');
}

function tableAndIndexesDdl(table: ProjectionTable | 'checkpoints', name: string, dialect: Dialect): string {
  // "C" collation makes name ordering and prefix ranges byte-wise on PostgreSQL, as on SQLite.
  const text = dialect === 'postgres' ? 'TEXT COLLATE "C"' : 'TEXT';
  switch (table) {
    case 'models':
      return `CREATE TABLE IF NOT EXISTS ${name} (
  name ${text} PRIMARY KEY,
  owners_idx TEXT NOT NULL,
  tags_idx TEXT NOT NULL,
  doc TEXT NOT NULL
);`;
    case 'versions':
      return `CREATE TABLE IF NOT EXISTS ${name} (
  model ${text} NOT NULL,
  version ${text} NOT NULL,
  stage TEXT NOT NULL,
  approval_status TEXT NOT NULL,
  registered_position BIGINT NOT NULL,
  doc TEXT NOT NULL,
  PRIMARY KEY (model, version)
);
CREATE INDEX IF NOT EXISTS ${name}_by_reg ON ${name} (model, registered_position);`;
    case 'aliases':
      return `CREATE TABLE IF NOT EXISTS ${name} (
  model ${text} NOT NULL,
  alias ${text} NOT NULL,
  version ${text} NOT NULL,
  doc TEXT NOT NULL,
  PRIMARY KEY (model, alias)
);`;
    case 'approval_queue':
      return `CREATE TABLE IF NOT EXISTS ${name} (
  model ${text} NOT NULL,
  version ${text} NOT NULL,
  registered_position BIGINT NOT NULL,
  doc TEXT NOT NULL,
  PRIMARY KEY (model, version)
);`;
    case 'audit':
      // On SQLite only INTEGER PRIMARY KEY is the rowid itself (one B-tree less per row; migration 8).
      return `CREATE TABLE IF NOT EXISTS ${name} (
  position ${dialect === 'postgres' ? 'BIGINT' : 'INTEGER'} PRIMARY KEY,
  event_id TEXT NOT NULL,
  stream TEXT NOT NULL,
  model ${text},
  version TEXT,
  type TEXT NOT NULL,
  actor TEXT NOT NULL,
  reason TEXT,
  correlation_id TEXT NOT NULL,
  recorded_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ${name}_by_model ON ${name} (model, position);
CREATE INDEX IF NOT EXISTS ${name}_by_actor ON ${name} (actor, position);
CREATE INDEX IF NOT EXISTS ${name}_by_correlation ON ${name} (correlation_id, position);
CREATE INDEX IF NOT EXISTS ${name}_by_time ON ${name} (recorded_at, position);`;
    case 'checkpoints':
      return `CREATE TABLE IF NOT EXISTS ${name} (
  projection TEXT PRIMARY KEY,
  position BIGINT NOT NULL
);`;
  }
}

export const READ_MODEL_TABLES = ['models', 'versions', 'aliases', 'approval_queue', 'audit', 'checkpoints'] as const;

export function readModelDdl(prefix: TablePrefix, dialect: Dialect, options: { secondaryIndexes?: boolean } = {}): string {
  return READ_MODEL_TABLES.map((t) => tableDdl(t, `${prefix}${t}`, dialect, options)).join('\n');
}

/** For the throw-away `rb_` tables of rebuild-and-compare; the live `rm_` tables come from the migrations. */
export async function createReadModelTables(db: SqlDb, prefix: TablePrefix, options: { secondaryIndexes?: boolean } = {}): Promise<void> {
  await db.exec(readModelDdl(prefix, db.dialect, options));
}

export async function dropReadModelTables(db: SqlDb, prefix: TablePrefix): Promise<void> {
  for (const t of READ_MODEL_TABLES) await db.exec(`DROP TABLE IF EXISTS ${prefix}${t}`);
}
