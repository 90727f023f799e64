import { jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { CheckpointScheduler } from '../../apps/registry-api/src/application/checkpoint-scheduler.js';
import { SQL_DB } from '../../apps/registry-api/src/infrastructure/tokens.js';
import type { SqlDb } from '#persistence';
import { verifyNdjson } from '#audit';
import { startTestApp, versionBody, GIT, type TestApp } from '../support/app.js';

/** A clock the test moves by hand, so "between each step" is an exact instant. */
export class ManualClock {
  private t = Date.parse('2026-03-03T09:00:00.000Z');
  now(): Date {
    return new Date(this.t);
  }
  set(iso: string): void {
    this.t = Date.parse(iso);
  }
}

/** churn: v1 promoted at 10:00, v2 promoted at 12:00, rolled back to v1 at 14:00 (on the manual clock). */
export async function seedPromotionHistory(t: TestApp, clock: ManualClock): Promise<void> {
  const alice = await t.token('alice', ['registry:read', 'registry:write', 'gates:write']);
  const bob = await t.token('bob', ['registry:read', 'approvals:write']);
  const rm = await t.token('rm', ['registry:read', 'registry:promote']);
  const ok = async (method: string, path: string, token: string, body?: unknown) => {
    const r = await t.call(method, path, { token, body });
    if (r.status >= 300) throw new Error(`${method} ${path} -> ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  clock.set('2026-03-03T09:00:00.000Z');
  await ok('POST', '/v1/models', alice, { name: 'churn', owners: ['retention'] });
  clock.set('2026-03-03T09:10:00.000Z');
  await ok('POST', '/v1/models/churn/versions', alice, versionBody('1.0.0', 1));
  clock.set('2026-03-03T09:20:00.000Z');
  await ok('POST', '/v1/models/churn/versions/1.0.0/approvals', bob, { decision: 'approve', comment: 'metrics reviewed' });
  clock.set('2026-03-03T10:00:00.000Z');
  await ok('POST', '/v1/models/churn/versions/1.0.0/transitions', rm, { stage: 'Production', reason: 'first release' });
  clock.set('2026-03-03T11:10:00.000Z');
  await ok('POST', '/v1/models/churn/versions', alice, versionBody('2.0.0', 2));
  clock.set('2026-03-03T11:20:00.000Z');
  await ok('POST', '/v1/models/churn/versions/2.0.0/approvals', bob, { decision: 'approve', comment: 'better auc' });
  clock.set('2026-03-03T12:00:00.000Z');
  await ok('POST', '/v1/models/churn/versions/2.0.0/transitions', rm, { stage: 'Production', reason: 'q1 refresh' });
  clock.set('2026-03-03T14:00:00.000Z');
  await ok('POST', '/v1/models/churn/rollback', rm, { toVersion: '1.0.0', reason: 'p95 latency regression in 2.0.0' });
  clock.set('2026-03-03T16:00:00.000Z');
  // Checkpoints are signed just after appends; wait until the last one has landed.
  for (let stable = 0, head = -1; stable < 3; ) {
    await new Promise((r) => setTimeout(r, 30));
    const now = await t.store.headPosition();
    stable = now === head ? stable + 1 : 0;
    head = now;
  }
}

/** Audit over real HTTP; run on SQLite by the e2e tier and on PostgreSQL by the integration tier. */
export function auditScenarios(kind: 'sqlite' | 'postgres'): void {
  let t: TestApp;
  let clock: ManualClock;
  let auditor: string;
  let reader: string;

  beforeEach(async () => {
    clock = new ManualClock();
    t = await startTestApp(kind, { AUDIT_CHECKPOINT_EVERY_EVENTS: '5', AUDIT_CHECKPOINT_INTERVAL_MINUTES: '0' }, { clock });
    auditor = await t.token('carol', ['audit:read']);
    reader = await t.token('reader', ['registry:read']);
  });
  afterEach(async () => {
    await t.close();
  });

  const ok = async (method: string, path: string, token: string, body?: unknown) => {
    const r = await t.call(method, path, { token, body });
    if (r.status >= 300) throw new Error(`${method} ${path} -> ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const audit = (path: string) => t.call('GET', path, { token: auditor });

  const history = () => seedPromotionHistory(t, clock);

  test('compliance question: which version served churn@prod at each instant, what produced it, who approved and promoted it', async () => {
    await history();
    const at = async (instant: string) => audit(`/v1/audit/resolve?uri=${encodeURIComponent('models:/churn@prod')}&at=${encodeURIComponent(instant)}`);

    const before = await at('2026-03-03T09:30:00Z');
    expect(before.status).toBe(404);
    expect(before.body.code).toBe('MODEL_URI_NOT_FOUND_AT');

    const first = await at('2026-03-03T11:00:00Z');
    expect(first.status).toBe(200);
    expect(first.body.resolved).toMatchObject({ model: 'churn', version: '1.0.0', stage: 'Production', approvalStatus: 'Approved' });
    expect(first.body.lineage).toMatchObject({ runId: 'run-1', gitCommit: GIT });
    expect(first.body.lineage.datasetHash).toMatch(/^sha256:/);
    expect(first.body.since).toBe('2026-03-03T10:00:00.000Z');
    expect(first.body.promotion).toMatchObject({ kind: 'promotion', actor: 'rm', reason: 'first release', recordedAt: '2026-03-03T10:00:00.000Z' });
    expect(first.body.aliasSet).toMatchObject({ actor: 'rm', type: 'AliasSet' });
    expect(first.body.approvals).toEqual([expect.objectContaining({ type: 'VersionApproved', actor: 'bob', recordedAt: '2026-03-03T09:20:00.000Z', data: expect.objectContaining({ comment: 'metrics reviewed' }) })]);
    expect(first.body.registration).toMatchObject({ actor: 'alice', recordedAt: '2026-03-03T09:10:00.000Z' });

    const second = await at('2026-03-03T13:00:00Z');
    expect(second.body.resolved).toMatchObject({ version: '2.0.0', stage: 'Production' });
    expect(second.body.lineage.runId).toBe('run-2');
    expect(second.body.promotion).toMatchObject({ kind: 'promotion', actor: 'rm', reason: 'q1 refresh', recordedAt: '2026-03-03T12:00:00.000Z' });
    expect(second.body.approvals.map((a: any) => [a.actor, a.data.comment])).toEqual([['bob', 'better auc']]);

    const third = await at('2026-03-03T15:00:00+01:00'); // = 14:00Z exactly: the rollback is included
    expect(third.body.at).toBe('2026-03-03T14:00:00.000Z');
    expect(third.body.resolved).toMatchObject({ version: '1.0.0', stage: 'Production' });
    expect(third.body.promotion).toMatchObject({ kind: 'rollback', actor: 'rm', reason: 'p95 latency regression in 2.0.0' });
    expect(third.body.promotion.rollback).toMatchObject({ type: 'RolledBack', data: { fromVersion: '2.0.0', toVersion: '1.0.0' } });
    expect(third.body.since).toBe('2026-03-03T14:00:00.000Z');
    // One millisecond earlier, 2.0.0 was still serving.
    expect((await at('2026-03-03T13:59:59.999Z')).body.resolved.version).toBe('2.0.0');
    // A version URI and a stage URI answer the same way.
    const stage = await audit(`/v1/audit/resolve?uri=${encodeURIComponent('models:/churn/Production')}&at=2026-03-03T13:00:00Z`);
    expect(stage.body.resolved.version).toBe('2.0.0');
    const archived = await audit(`/v1/audit/resolve?uri=${encodeURIComponent('models:/churn/2.0.0')}&at=2026-03-03T15:00:00Z`);
    expect(archived.body.resolved).toMatchObject({ version: '2.0.0', stage: 'Archived' });
  });

  test('state at an instant and at a position, replayed from the store, names the last event included', async () => {
    await history();
    const s = await audit('/v1/audit/models/churn/state?at=2026-03-03T13:00:00Z');
    expect(s.status).toBe(200);
    expect(s.body.lastEventIncluded).toMatchObject({ type: 'AliasSet', recordedAt: '2026-03-03T12:00:00.000Z', actor: 'rm' });
    expect(s.body.state.aliases).toEqual({ prod: '2.0.0' });
    const stages = Object.fromEntries(s.body.state.versions.map((v: any) => [v.version, v.stage]));
    expect(stages).toEqual({ '1.0.0': 'Archived', '2.0.0': 'Production' });
    const byPosition = await audit(`/v1/audit/models/churn/state?position=${s.body.lastEventIncluded.position}`);
    expect(byPosition.body.state).toEqual(s.body.state);
    const early = await audit('/v1/audit/models/churn/state?position=1');
    expect(early.body.state.versions).toEqual([]);
    expect((await audit('/v1/audit/models/churn/state?at=2026-03-03T08:00:00Z')).body.code).toBe('MODEL_NOT_FOUND_AT');
    expect((await audit('/v1/audit/models/nope/state')).status).toBe(404);
  });

  test('state at now equals the live read model', async () => {
    await history();
    const s = await audit('/v1/audit/models/churn/state');
    const model = await ok('GET', '/v1/models/churn', reader);
    const versions = await ok('GET', '/v1/models/churn/versions', reader);
    expect(s.body.state.aliases).toEqual(model.aliases);
    expect(s.body.state.owners).toEqual(model.owners);
    const live = versions.items.map((v: any) => ({ version: v.version, stage: v.stage, approvalStatus: v.approvalStatus, approvals: v.approvals.map((a: any) => a.sub) }));
    const replayed = s.body.state.versions.map((v: any) => ({ version: v.version, stage: v.stage, approvalStatus: v.approvalStatus, approvals: v.approvals.map((a: any) => a.sub) }));
    expect(replayed).toEqual(expect.arrayContaining(live));
    expect(replayed).toHaveLength(live.length);
  });

  test('diff between two instants lists the events and before/after of each changed field', async () => {
    await history();
    const d = await audit('/v1/audit/models/churn/diff?from=2026-03-03T11:00:00Z&to=2026-03-03T13:00:00Z');
    expect(d.status).toBe(200);
    expect(d.body.events.map((e: any) => e.type)).toEqual(['VersionRegistered', 'VersionApproved', 'VersionArchived', 'VersionPromoted', 'AliasSet']);
    const change = (path: string) => d.body.changes.find((c: any) => c.path === path);
    expect(change('/aliases/prod')).toEqual({ path: '/aliases/prod', before: '1.0.0', after: '2.0.0' });
    expect(change('/versions/1.0.0/stage')).toEqual({ path: '/versions/1.0.0/stage', before: 'Production', after: 'Archived' });
    expect(change('/versions/2.0.0')).toMatchObject({ after: expect.objectContaining({ version: '2.0.0', stage: 'Production' }) });
    expect(change('/versions/2.0.0').before).toBeUndefined();
    const bad = await audit('/v1/audit/models/churn/diff?from=yesterday');
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0]).toMatchObject({ field: 'from', rule: 'isRFC3339' });
  });

  test('verify: OK over the whole chain with signed checkpoints; names the position of a tampered row', async () => {
    await history();
    const keys = await audit('/v1/audit/keys');
    expect(keys.body.keys).toEqual([expect.objectContaining({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', kid: expect.any(String) })]);
    expect(keys.body.keys[0].d).toBeUndefined();
    const cps = await audit('/v1/audit/checkpoints');
    expect(cps.body.items.length).toBeGreaterThanOrEqual(2);
    expect(cps.body.items[0].jws.split('.')).toHaveLength(3);
    const v = await audit('/v1/audit/verify');
    expect(v.status).toBe(200);
    expect(v.body).toMatchObject({ ok: true, lastVerifiedPosition: v.body.head, checkpointsVerified: cps.body.items.length });
    expect(v.body.verified).toBe(v.body.head);
    expect(v.body.lastCheckpoint.covers).toBe(cps.body.items[0].covers);

    const db = t.app.get<SqlDb>(SQL_DB);
    const [row] = await db.query<{ position: number }>(`SELECT position FROM events WHERE type = 'VersionApproved' ORDER BY position LIMIT 1`);
    await db.run(`UPDATE events SET metadata = ? WHERE position = ?`, [JSON.stringify({ actor: { sub: 'mallory', scopes: [] }, correlationId: 'forged' }), Number(row.position)]);
    const broken = await audit('/v1/audit/verify');
    expect(broken.body).toMatchObject({ ok: false, lastVerifiedPosition: Number(row.position) - 1, broken: { position: Number(row.position), kind: 'hash-mismatch' } });
    const from = await audit(`/v1/audit/verify?from=${Number(row.position) + 1}`);
    expect(from.body).toMatchObject({ ok: true, from: Number(row.position) + 1 });
    expect((await audit('/v1/audit/verify?from=0')).status).toBe(400);
  });

  test('checkpoints: by count after appends, and by time only when something new was appended', async () => {
    await history();
    const scheduler = t.app.get(CheckpointScheduler);
    // Count-based checkpoints run in the background after each append (on PostgreSQL, after the
    // NOTIFY arrives): wait until none is pending, or one could land between two steps below.
    const settle = async () => {
      for (let last = -1; ; ) {
        await scheduler.maybeCheckpoint(false);
        const head = await t.store.headPosition();
        if (head === last) return;
        last = head;
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    await settle();
    // Whether the last count-based checkpoint landed on the head depends on when it ran: make
    // sure a few events (fewer than the threshold) are still unsigned.
    const latest = (await audit('/v1/audit/checkpoints')).body.items[0];
    if (latest?.position === (await t.store.headPosition())) {
      await t.call('POST', '/v1/models', { token: await t.token('alice', ['registry:write']), body: { name: 'unsigned' } });
      await settle();
    }
    const byCount = (await audit('/v1/audit/checkpoints')).body.items;
    expect(byCount.length).toBeGreaterThanOrEqual(2);
    // A timed run signs the events after the last count-based checkpoint ...
    await scheduler.maybeCheckpoint(true);
    const before = (await audit('/v1/audit/checkpoints')).body.items;
    expect(before).toHaveLength(byCount.length + 1);
    expect(before[0].covers).toBe(before[0].position - 1);
    // ... and then the head is a checkpoint: the next timed run has nothing new to sign.
    await scheduler.maybeCheckpoint(true);
    expect((await audit('/v1/audit/checkpoints')).body.items).toHaveLength(before.length);
    // One new event is below the count threshold (5) but due by time.
    await t.call('POST', '/v1/models', { token: await t.token('alice', ['registry:write']), body: { name: 'fraud' } });
    await settle();
    expect((await audit('/v1/audit/checkpoints')).body.items).toHaveLength(before.length);
    await scheduler.maybeCheckpoint(true);
    const after = (await audit('/v1/audit/checkpoints')).body.items;
    expect(after).toHaveLength(before.length + 1);
    expect(after[0]).toMatchObject({ covers: after[0].position - 1, kid: before[0].kid });
    expect((await audit('/v1/audit/verify')).body).toMatchObject({ ok: true, checkpointsVerified: after.length });
  });

  test('audit trail: filters, cursor paging both ways; every audit endpoint needs audit:read', async () => {
    await history();
    const promoted = await audit('/v1/audit/events?model=churn&type=VersionPromoted&order=asc');
    expect(promoted.body.items.map((e: any) => [e.version, e.actor, e.recordedAt])).toEqual([
      ['1.0.0', 'rm', '2026-03-03T10:00:00.000Z'],
      ['2.0.0', 'rm', '2026-03-03T12:00:00.000Z'],
      ['1.0.0', 'rm', '2026-03-03T14:00:00.000Z'],
    ]);
    const byActor = await audit('/v1/audit/events?actor=bob');
    expect(byActor.body.items.map((e: any) => e.version)).toEqual(['2.0.0', '1.0.0']);
    const window = await audit('/v1/audit/events?model=churn&from=2026-03-03T11:00:00Z&to=2026-03-03T11:59:59Z&order=asc');
    expect(window.body.items.map((e: any) => e.type)).toEqual(['VersionRegistered', 'VersionApproved']);
    const rollback = (await audit('/v1/audit/events?type=RolledBack')).body.items[0];
    const together = await audit(`/v1/audit/events?correlationId=${rollback.correlationId}&order=asc`);
    expect(together.body.items.map((e: any) => e.type)).toEqual(['RolledBack', 'VersionArchived', 'VersionPromoted', 'AliasSet']);
    const v1 = await audit('/v1/audit/events?model=churn&version=1.0.0&order=asc');
    expect(v1.body.items.every((e: any) => e.version === '1.0.0')).toBe(true);

    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await audit(`/v1/audit/events?model=churn&limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.body.items.map((e: any) => e.position));
      cursor = page.body.nextCursor;
    } while (cursor);
    const all = (await audit('/v1/audit/events?model=churn&limit=500&order=asc')).body.items.map((e: any) => e.position);
    expect(seen).toEqual([...all].reverse());
    expect(new Set(seen).size).toBe(seen.length);
    expect((await audit('/v1/audit/events?cursor=garbage')).body.code).toBe('INVALID_CURSOR');
    expect((await audit('/v1/audit/events?order=sideways')).status).toBe(400);

    for (const path of ['/v1/audit/events', '/v1/audit/verify', '/v1/audit/keys', '/v1/audit/checkpoints', '/v1/audit/models/churn/state', '/v1/audit/export']) {
      expect((await t.call('GET', path, { token: reader })).status).toBe(403);
      expect((await t.call('GET', path)).status).toBe(401);
    }
    // Reading the audit trail writes nothing to the store, but each read is logged with who asked.
    const head = await t.store.headPosition();
    const log = jest.spyOn(Logger.prototype, 'log');
    try {
      await audit('/v1/audit/events?actor=bob');
      await audit('/v1/audit/models/churn/state');
      const lines = log.mock.calls.map((c) => String(c[0]));
      expect(lines).toEqual(expect.arrayContaining(['carol GET /v1/audit/events?actor=bob', 'carol GET /v1/audit/models/churn/state']));
    } finally {
      log.mockRestore();
    }
    expect(await t.store.headPosition()).toBe(head);
  });

  test('export: NDJSON carries position, hash and prevHash and verifies offline with the JWKS; CSV and filtered exports', async () => {
    await history();
    const res = await fetch(`${t.url}/v1/audit/export?format=ndjson`, { headers: { authorization: `Bearer ${auditor}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/x-ndjson');
    const text = await res.text();
    const lines = text.trim().split('\n');
    expect(lines).toHaveLength(await t.store.headPosition());
    const firstRecord = JSON.parse(lines[0]);
    expect(firstRecord).toMatchObject({ position: 1, type: 'ModelCreated', prevHash: '0'.repeat(64), hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const jwks = (await audit('/v1/audit/keys')).body;
    async function* iterate(ls: string[]) {
      yield* ls;
    }
    const report = await verifyNdjson(iterate(lines), jwks);
    expect(report).toMatchObject({ ok: true, verified: lines.length, lastVerifiedPosition: lines.length });
    expect(report.checkpointsVerified).toBeGreaterThanOrEqual(2);
    // An edited line is caught offline at its position.
    const edited = [...lines];
    const i = lines.findIndex((l) => l.includes('"VersionPromoted"'));
    edited[i] = edited[i].replace('"rm"', '"mallory"');
    expect((await verifyNdjson(iterate(edited), jwks)).broken).toMatchObject({ position: i + 1, kind: 'hash-mismatch' });

    const filtered = await t.call('GET', '/v1/audit/export?format=ndjson&model=churn&version=2.0.0', { token: auditor });
    const recs = String(filtered.body ?? '').trim().split('\n').map((l) => JSON.parse(l));
    expect(recs.length).toBeGreaterThan(0);
    expect(recs.every((r) => (r.data.version ?? r.data.toVersion) === '2.0.0' || r.data.fromVersion === '2.0.0')).toBe(true);
    const partial = await verifyNdjson(iterate(String(filtered.body).trim().split('\n')), jwks);
    expect(partial.ok).toBe(true);

    const csv = await fetch(`${t.url}/v1/audit/export?format=csv&type=VersionPromoted`, { headers: { authorization: `Bearer ${auditor}` } });
    expect(csv.headers.get('content-type')).toContain('text/csv');
    const rows = (await csv.text()).trim().split('\n');
    expect(rows[0]).toBe('position,recorded_at,stream,revision,type,actor,reason,correlation_id,id,schema_version,data,metadata,prev_hash,hash');
    expect(rows).toHaveLength(4);
    expect(rows[1]).toContain(',VersionPromoted,rm,first release,');
    const bad = await t.call('GET', '/v1/audit/export?format=xml', { token: auditor });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].field).toBe('format');
  });
}
