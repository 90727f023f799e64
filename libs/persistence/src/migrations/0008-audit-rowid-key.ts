import type { Migration } from '../migration.js';

/**
 * Issue 13 (performance), SQLite only: `rm_audit` was declared `position BIGINT PRIMARY KEY`,
 * which SQLite keeps as a rowid table plus a separate unique index on `position` — one B-tree
 * more to update for every projected event (the audit rows dominate projection time). Only
 * `INTEGER PRIMARY KEY` makes the key the rowid itself. SQLite cannot change a column's key in
 * place, so the table is rebuilt: create the new shape, copy every row, drop the old table (its
 * indexes go with it, whatever they were named — a projection-version swap leaves
 * `rm_audit_vN_*` names), rename, and create the query indexes again. It all runs in the
 * migration's transaction, so a failure leaves the old table as it was. Same columns, same rows,
 * same indexes; positions are integers already (the projector writes event positions).
 *
 * The secondary indexes stay as they were: `rm_audit_by_time` is kept because positions are not
 * guaranteed to grow with `recorded_at` (PostgreSQL replicas take the time before the append lock;
 * a wall clock can step back), so a time range is not a position range.
 *
 * PostgreSQL: nothing to change (its tables have no rowid); the version is recorded with a
 * statement that changes nothing.
 *
 * Never edit this file once released: its checksum is recorded in every database.
 */
export const m0008: Migration = {
  version: 8,
  name: 'audit-rowid-key',
  sqlite: `
CREATE TABLE rm_audit_0008 (
  position INTEGER PRIMARY KEY,
  event_id TEXT NOT NULL,
  stream TEXT NOT NULL,
  model TEXT,
  version TEXT,
  type TEXT NOT NULL,
  actor TEXT NOT NULL,
  reason TEXT,
  correlation_id TEXT NOT NULL,
  recorded_at TEXT NOT NULL
);
INSERT INTO rm_audit_0008 (position, event_id, stream, model, version, type, actor, reason, correlation_id, recorded_at)
  SELECT position, event_id, stream, model, version, type, actor, reason, correlation_id, recorded_at FROM rm_audit ORDER BY position;
DROP TABLE rm_audit;
ALTER TABLE rm_audit_0008 RENAME TO rm_audit;
CREATE INDEX rm_audit_by_model ON rm_audit (model, position);
CREATE INDEX rm_audit_by_actor ON rm_audit (actor, position);
CREATE INDEX rm_audit_by_correlation ON rm_audit (correlation_id, position);
CREATE INDEX rm_audit_by_time ON rm_audit (recorded_at, position);`,
  postgres: 'SELECT 1;',
};
