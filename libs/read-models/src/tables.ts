import type { Dialect, SqlDb } from '../../persistence/src/index.js';

/** Live read models use prefix `rm_`; a rebuild writes `rb_` tables beside them and compares. */
export type TablePrefix = 'rm_' | 'rb_';

export function readModelDdl(prefix: TablePrefix, dialect: Dialect): string {
  // "C" collation makes name ordering and prefix ranges byte-wise on PostgreSQL, as on SQLite.
  const text = dialect === 'postgres' ? 'TEXT COLLATE "C"' : 'TEXT';
  return `
CREATE TABLE IF NOT EXISTS ${prefix}models (
  name ${text} PRIMARY KEY,
  owners_idx TEXT NOT NULL,
  tags_idx TEXT NOT NULL,
  doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS ${prefix}versions (
  model ${text} NOT NULL,
  version ${text} NOT NULL,
  stage TEXT NOT NULL,
  approval_status TEXT NOT NULL,
  registered_position BIGINT NOT NULL,
  doc TEXT NOT NULL,
  PRIMARY KEY (model, version)
);
CREATE INDEX IF NOT EXISTS ${prefix}versions_by_reg ON ${prefix}versions (model, registered_position);
CREATE TABLE IF NOT EXISTS ${prefix}aliases (
  model ${text} NOT NULL,
  alias ${text} NOT NULL,
  version ${text} NOT NULL,
  doc TEXT NOT NULL,
  PRIMARY KEY (model, alias)
);
CREATE TABLE IF NOT EXISTS ${prefix}approval_queue (
  model ${text} NOT NULL,
  version ${text} NOT NULL,
  registered_position BIGINT NOT NULL,
  doc TEXT NOT NULL,
  PRIMARY KEY (model, version)
);
CREATE TABLE IF NOT EXISTS ${prefix}audit (
  position BIGINT PRIMARY KEY,
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
CREATE INDEX IF NOT EXISTS ${prefix}audit_by_model ON ${prefix}audit (model, position);
CREATE INDEX IF NOT EXISTS ${prefix}audit_by_actor ON ${prefix}audit (actor, position);
CREATE INDEX IF NOT EXISTS ${prefix}audit_by_correlation ON ${prefix}audit (correlation_id, position);
CREATE INDEX IF NOT EXISTS ${prefix}audit_by_time ON ${prefix}audit (recorded_at, position);
CREATE TABLE IF NOT EXISTS ${prefix}checkpoints (
  projection TEXT PRIMARY KEY,
  position BIGINT NOT NULL
);`;
}

export const READ_MODEL_TABLES = ['models', 'versions', 'aliases', 'approval_queue', 'audit', 'checkpoints'] as const;

export async function createReadModelTables(db: SqlDb, prefix: TablePrefix): Promise<void> {
  await db.exec(readModelDdl(prefix, db.dialect));
}

export async function dropReadModelTables(db: SqlDb, prefix: TablePrefix): Promise<void> {
  for (const t of READ_MODEL_TABLES) await db.exec(`DROP TABLE IF EXISTS ${prefix}${t}`);
}
