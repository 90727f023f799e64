import { readFileSync, writeFileSync } from 'node:fs';
import { openLedgerStore } from '#event-store';
import { join } from 'node:path';
import { runAuditCli } from '../../apps/registry-api/src/cli/audit-cli.js';
import { validateConfig } from '#config';
import { MIGRATIONS, type SqlDb } from '#persistence';
import { ALL_PROJECTIONS, rebuildAndCompare, storedProjectionVersions } from '#read-models';
import { SQL_DB } from '../../apps/registry-api/src/infrastructure/tokens.js';
import { startTestApp, versionBody } from '../support/app.js';

export const FIXTURE = join(import.meta.dirname, 'fixture-9913c36');
const FIXTURE_COMMIT = '9913c36';

export interface UpgradeTarget {
  kind: 'sqlite' | 'postgres';
  /** Settings that point the app and the CLIs at the restored copy (DATA_DIR, DATABASE_URL). */
  env: Record<string, string>;
  /** A direct connection to the restored copy, for reading raw rows before and after. */
  openDb(): SqlDb;
  dataDir: string;
}

interface RawEvent {
  position: number;
  id: string;
  stream: string;
  revision: number;
  type: string;
  hash: string;
  prev_hash: string;
}

/** The audit-trail read model as stored (migration 8 rebuilds this table on SQLite). */
const auditRows = async (db: SqlDb) =>
  (await db.query('SELECT position, event_id, stream, model, version, type, actor, reason, correlation_id, recorded_at FROM rm_audit ORDER BY position')).map((r) => ({
    ...r,
    position: Number(r.position),
  }));

const rawEvents = async (db: SqlDb): Promise<RawEvent[]> =>
  (await db.query<RawEvent & Record<string, unknown>>('SELECT position, id, stream, revision, type, hash, prev_hash FROM events ORDER BY position')).map((r) => ({
    ...r,
    position: Number(r.position),
    revision: Number(r.revision),
    id: String(r.id),
  }));

/**
 * A ledger written by the last build without migrations (its commit is named in the fixture's
 * README) is opened by this build: the schema is migrated (baseline recorded), every event is
 * still there byte for byte, the chain verifies across the boundary with the old and the new
 * checkpoint keys, and the read models equal a fresh fold. Shared by SQLite (e2e) and
 * PostgreSQL (int); `prepare` restores a fresh copy of the fixture.
 */
export function upgradeScenarios(prepare: () => Promise<{ target: UpgradeTarget; cleanup(): Promise<void> }>): void {
  test(`the fixture names the commit that wrote it (${FIXTURE_COMMIT})`, () => {
    expect(readFileSync(join(FIXTURE, 'README.md'), 'utf8')).toContain(`commit \`${FIXTURE_COMMIT}\``);
  });

  test('a ledger from the build before migrations: migrates, keeps every event, verifies across the boundary, read models equal a fresh fold', async () => {
    const { target, cleanup } = await prepare();
    try {
      const db0 = target.openDb();
      const before = await rawEvents(db0);
      const auditBefore = await auditRows(db0);
      const tablesBefore = await db0.query(target.kind === 'postgres' ? "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'schema_migrations'" : "SELECT 1 FROM sqlite_master WHERE name = 'schema_migrations'");
      await db0.close();
      // What the scenario wrote: approvals, promotions, a rollback, checkpoints, an approval link.
      expect(tablesBefore).toEqual([]);
      const types = new Set(before.map((e) => e.type));
      for (const t of ['VersionApproved', 'VersionPromoted', 'RolledBack', 'AuditCheckpoint', 'ApprovalLinkUsed', 'VersionRejected', 'GateFailed']) expect(types).toContain(t);

      // The new build starts on it and keeps writing.
      const t = await startTestApp(target.kind, { ...target.env, AUDIT_CHECKPOINT_EVERY_EVENTS: '3', AUDIT_CHECKPOINT_INTERVAL_MINUTES: '0' }, target.env.DATABASE_URL ? { databaseUrl: target.env.DATABASE_URL } : {});
      let newKeys: unknown[];
      try {
        const reader = await t.token('reader', ['registry:read', 'audit:read']);
        const writer = await t.token('dana', ['registry:read', 'registry:write', 'registry:promote']);
        const approver = await t.token('erin', ['registry:read', 'approvals:write']);
        // State written by the old build, read through the new one.
        expect((await t.call('GET', `/v1/resolve?uri=${encodeURIComponent('models:/churn@prod')}`, { token: reader })).body.version).toBe('1.0.0');
        expect((await t.call('GET', '/v1/models/churn/versions/1.1.0', { token: reader })).body.stage).toBe('Archived');
        expect((await t.call('GET', '/v1/models/churn/versions/2.0.0', { token: reader })).body.approvalStatus).toBe('Rejected');
        // New writes chain onto the old head.
        expect((await t.call('POST', '/v1/models/churn/versions', { token: writer, body: versionBody('3.0.0', 30) })).status).toBe(201);
        expect((await t.call('POST', '/v1/models/churn/versions/3.0.0/approvals', { token: approver, body: { decision: 'approve' } })).status).toBe(201);
        expect((await t.call('POST', '/v1/models/churn/versions/3.0.0/transitions', { token: writer, body: { stage: 'Production' } })).status).toBe(200);
        expect((await t.call('GET', `/v1/resolve?uri=${encodeURIComponent('models:/churn@prod')}`, { token: reader })).body.version).toBe('3.0.0');
        // Time travel folds old and new events alike.
        const past = await t.call('GET', `/v1/audit/models/churn/state?position=${before[before.length - 1].position}`, { token: reader });
        expect(past.status).toBe(200);
        newKeys = (await t.call('GET', '/v1/audit/keys', { token: reader })).body.keys;
        // Projections whose code changed since that build are rebuilt in the background: wait for the swap.
        const appDb = t.app.get<SqlDb>(SQL_DB);
        const behind = async () => {
          const stored = await storedProjectionVersions(appDb);
          return ALL_PROJECTIONS.filter((p) => (stored.get(p.name) ?? 1) !== p.version).map((p) => p.name);
        };
        for (let i = 0; (await behind()).length > 0; i++) {
          if (i > 200) throw new Error(`projections not rebuilt: ${(await behind()).join(', ')}`);
          await new Promise((r) => setTimeout(r, 50));
        }
        await new Promise((r) => setTimeout(r, 300));
      } finally {
        await t.close();
      }

      const db = target.openDb();
      try {
        const migrations = await db.query<{ version: number; how: string }>('SELECT version, how FROM schema_migrations ORDER BY version');
        expect(migrations.map((m) => [Number(m.version), m.how])).toEqual(MIGRATIONS.map((m) => [m.version, m.version === 1 ? 'baseline' : 'applied']));
        const after = await rawEvents(db);
        // Every old event is still there, unchanged (id, place, hash), and new ones follow.
        expect(after.slice(0, before.length)).toEqual(before);
        expect(after.length).toBeGreaterThan(before.length);
        expect(after[before.length].prev_hash).toBe(before[before.length - 1].hash);
        expect(after.slice(before.length).some((e) => e.type === 'AuditCheckpoint')).toBe(true);
        // The audit trail the old build projected came through every migration row for row, and goes on.
        expect(auditBefore.length).toBe(before.length);
        const auditAfter = await auditRows(db);
        expect(auditAfter.slice(0, auditBefore.length)).toEqual(auditBefore);
        expect(auditAfter.length).toBeGreaterThan(auditBefore.length);
      } finally {
        await db.close();
      }

      // `npm run audit -- verify` with the old build's checkpoint key and the new one.
      const jwksFile = join(target.dataDir, 'upgrade-jwks.json');
      const oldKeys = JSON.parse(readFileSync(join(FIXTURE, 'audit-jwks.json'), 'utf8')).keys;
      writeFileSync(jwksFile, JSON.stringify({ keys: [...oldKeys, ...newKeys] }));
      const lines: string[] = [];
      const code = await runAuditCli(['verify', '--jwks', jwksFile, '--json'], { NODE_ENV: 'test', EVENT_STORE: target.kind, ...target.env }, (l) => lines.push(l));
      const report = JSON.parse(lines.join('\n'));
      expect(code).toBe(0);
      expect(report).toMatchObject({ ok: true, from: 1 });
      expect(report.verified).toBeGreaterThan(before.length);
      const oldCheckpoints = before.filter((e) => e.type === 'AuditCheckpoint').length;
      expect(report.checkpointsVerified).toBeGreaterThan(oldCheckpoints);

      // The read models the old build projected, continued by this one, equal a fresh fold.
      const config = validateConfig({ NODE_ENV: 'test', EVENT_STORE: target.kind, ...target.env });
      const { db: db2, store } = await openLedgerStore(config, { now: () => new Date() });
      try {
        const rebuilt = await rebuildAndCompare(db2, store);
        expect(rebuilt.differences).toEqual([]);
        expect(rebuilt.identical).toBe(true);
        expect(rebuilt.position).toBe(report.lastVerifiedPosition);
      } finally {
        await store.close();
        await db2.close();
      }
    } finally {
      await cleanup();
    }
  });
}
