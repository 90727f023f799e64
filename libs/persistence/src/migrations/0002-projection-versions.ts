import type { Migration } from '../migration.js';

/**
 * The version of the code that built each projection's tables (libs/read-models). No row means
 * version 1: every projection was at 1 when this table was added.
 */
const sql = `CREATE TABLE projection_versions (
  projection TEXT PRIMARY KEY,
  version INTEGER NOT NULL,
  rebuilt_at TEXT NOT NULL
);`;

export const m0002: Migration = { version: 2, name: 'projection-versions', sqlite: sql, postgres: sql };
