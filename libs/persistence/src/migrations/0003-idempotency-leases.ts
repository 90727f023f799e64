import type { Migration } from '../migration.js';

/**
 * Idempotency after a crash (docs/ARCHITECTURE.md, "Idempotency after a crash"): a claim's owner
 * and lease, an index for purging by age, and an index to find the events a keyed request
 * appended (partial: events without a key cost nothing). Rows from before have no lease and are
 * treated as expired.
 */
export const m0003: Migration = {
  version: 3,
  name: 'idempotency-leases',
  sqlite: `
ALTER TABLE idempotency_keys ADD COLUMN owner TEXT;
ALTER TABLE idempotency_keys ADD COLUMN lease_until TEXT;
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
CREATE INDEX events_idempotency_key ON events (json_extract(metadata, '$.idempotencyKey'))
  WHERE json_extract(metadata, '$.idempotencyKey') IS NOT NULL;`,
  postgres: `
ALTER TABLE idempotency_keys ADD COLUMN owner TEXT;
ALTER TABLE idempotency_keys ADD COLUMN lease_until TEXT;
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
CREATE INDEX events_idempotency_key ON events ((metadata->>'idempotencyKey'))
  WHERE (metadata->>'idempotencyKey') IS NOT NULL;`,
  // The build that introduced leases (before migrations) added all four at start-up, owner first.
  async alreadyPresent(tx, dialect) {
    const sql =
      dialect === 'postgres'
        ? "SELECT column_name AS name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'idempotency_keys' AND column_name = 'owner'"
        : "SELECT name FROM pragma_table_info('idempotency_keys') WHERE name = 'owner'";
    return (await tx.query(sql)).length > 0;
  },
};
