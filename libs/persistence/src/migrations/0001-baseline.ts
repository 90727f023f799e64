import type { Migration } from '../migration.js';

/**
 * The schema as the last build before migrations created it at start-up (commit 9913c36):
 * events, read models, idempotency keys, relay checkpoints. Every statement says IF NOT EXISTS,
 * as that start-up DDL did, because a database from that build may lack the tables it created
 * lazily (relay_checkpoints exists only where a relay ran). Never edit this file: its checksum
 * is recorded in every database; a change is a new migration.
 */
const readModels = (text: string) => `
CREATE TABLE IF NOT EXISTS rm_models (
  name ${text} PRIMARY KEY,
  owners_idx TEXT NOT NULL,
  tags_idx TEXT NOT NULL,
  doc TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS rm_versions (
  model ${text} NOT NULL,
  version ${text} NOT NULL,
  stage TEXT NOT NULL,
  approval_status TEXT NOT NULL,
  registered_position BIGINT NOT NULL,
  doc TEXT NOT NULL,
  PRIMARY KEY (model, version)
);
CREATE INDEX IF NOT EXISTS rm_versions_by_reg ON rm_versions (model, registered_position);
CREATE TABLE IF NOT EXISTS rm_aliases (
  model ${text} NOT NULL,
  alias ${text} NOT NULL,
  version ${text} NOT NULL,
  doc TEXT NOT NULL,
  PRIMARY KEY (model, alias)
);
CREATE TABLE IF NOT EXISTS rm_approval_queue (
  model ${text} NOT NULL,
  version ${text} NOT NULL,
  registered_position BIGINT NOT NULL,
  doc TEXT NOT NULL,
  PRIMARY KEY (model, version)
);
CREATE TABLE IF NOT EXISTS rm_audit (
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
CREATE INDEX IF NOT EXISTS rm_audit_by_model ON rm_audit (model, position);
CREATE INDEX IF NOT EXISTS rm_audit_by_actor ON rm_audit (actor, position);
CREATE INDEX IF NOT EXISTS rm_audit_by_correlation ON rm_audit (correlation_id, position);
CREATE INDEX IF NOT EXISTS rm_audit_by_time ON rm_audit (recorded_at, position);
CREATE TABLE IF NOT EXISTS rm_checkpoints (
  projection TEXT PRIMARY KEY,
  position BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS idempotency_keys (
  key_hash TEXT PRIMARY KEY,
  request_hash TEXT NOT NULL,
  state TEXT NOT NULL,
  response TEXT,
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS relay_checkpoints (
  relay TEXT PRIMARY KEY,
  position BIGINT NOT NULL,
  updated_at TEXT NOT NULL
);
`;

export const m0001: Migration = {
  version: 1,
  name: 'baseline',
  sqlite: `
CREATE TABLE IF NOT EXISTS events (
  position INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  stream TEXT NOT NULL,
  revision INTEGER NOT NULL,
  type TEXT NOT NULL,
  schema_version INTEGER NOT NULL,
  data TEXT NOT NULL,
  metadata TEXT NOT NULL,
  recorded_at TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL,
  UNIQUE (stream, revision)
);
${readModels('TEXT')}`,
  // "C" collation makes name ordering and prefix ranges byte-wise on PostgreSQL, as on SQLite.
  postgres: `
CREATE TABLE IF NOT EXISTS events (
  position BIGINT PRIMARY KEY,
  id UUID NOT NULL UNIQUE,
  stream TEXT COLLATE "C" NOT NULL,
  revision BIGINT NOT NULL,
  type TEXT NOT NULL,
  schema_version INTEGER NOT NULL,
  data JSONB NOT NULL,
  metadata JSONB NOT NULL,
  recorded_at TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL,
  UNIQUE (stream, revision)
);
${readModels('TEXT COLLATE "C"')}`,
};
