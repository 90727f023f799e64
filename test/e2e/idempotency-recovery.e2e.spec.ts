import { SQL_DB } from '../../apps/registry-api/src/infrastructure/tokens.js';
import { IdempotencyStore, idempotencyHashes } from '../../apps/registry-api/src/http/idempotency.js';
import type { SqlDb } from '#persistence';
import { startTestApp, versionBody, type TestApp } from '../support/app.js';
import { approversFile, testDirectory } from '../support/approvers.js';

/**
 * Claims left behind by a dead process (issue 14 §1), set up directly in the table: the kill -9
 * version of this runs in test/integration/idempotency-crash.int.spec.ts.
 */
describe('Idempotency-Key claims left by a dead process', () => {
  let t: TestApp;
  let db: SqlDb;
  let writer: string;

  beforeAll(async () => {
    t = await startTestApp('sqlite', { IDEMPOTENCY_LEASE_SECONDS: '2' });
    db = t.app.get<SqlDb>(SQL_DB);
    writer = await t.token('alice', ['registry:read', 'registry:write']);
    expect((await t.call('POST', '/v1/models', { token: writer, body: { name: 'churn' } })).status).toBe(201);
  });
  afterAll(() => t.close());

  const register = (key: string, n: number) =>
    t.call('POST', '/v1/models/churn/versions', { token: writer, body: { ...versionBody('x', n), version: undefined }, headers: { 'idempotency-key': key } });
  const registered = async () => (await t.store.readStream('model-churn')).filter((e) => e.type === 'VersionRegistered');
  /** What a process killed after its claim (and maybe after its append) leaves: a running row nobody renews. */
  const orphan = (_key: string, leaseUntil: Date) =>
    db.run(`UPDATE idempotency_keys SET state = 'running', response = NULL, owner = 'dead-process', lease_until = ? WHERE key_hash IN (SELECT key_hash FROM idempotency_keys ORDER BY created_at DESC LIMIT 1)`, [
      leaseUntil.toISOString(),
    ]);

  test('landed before the crash: the retry gets the recorded outcome, and nothing is written twice', async () => {
    const first = await register('landed', 1);
    expect(first.status).toBe(201);
    await orphan('landed', new Date(Date.now() - 1000));
    const before = (await registered()).length;
    const retry = await register('landed', 1);
    expect(retry.status).toBe(201);
    expect(retry.body.version).toBe(first.body.version);
    expect(retry.body.position).toBe(first.body.position);
    expect((await registered()).length).toBe(before);
    // The outcome is recorded again: the next retry is a plain replay.
    const replay = await register('landed', 1);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body.version).toBe(first.body.version);
  });

  test('not landed before the crash: concurrent retries run the command exactly once', async () => {
    const key = 'never-landed';
    const body = { ...versionBody('x', 3), version: undefined };
    // The dead process claimed the key and died before appending anything; its lease ran out.
    const { keyHash, requestHash } = idempotencyHashes({ sub: 'alice', scopes: ['registry:read', 'registry:write'] }, 'POST', '/v1/models/churn/versions', key, JSON.parse(JSON.stringify(body)));
    await db.run(`INSERT INTO idempotency_keys (key_hash, request_hash, state, created_at, owner, lease_until) VALUES (?, ?, 'running', ?, 'dead-process', ?)`, [
      keyHash,
      requestHash,
      new Date(Date.now() - 5000).toISOString(),
      new Date(Date.now() - 1000).toISOString(),
    ]);
    const before = (await registered()).length;
    const send = () => t.call('POST', '/v1/models/churn/versions', { token: writer, body, headers: { 'idempotency-key': key } });
    const results = await Promise.all([send(), send(), send()]);
    // One takes the dead claim over and runs; the others wait (409 + Retry-After) or get its replay.
    const ok = results.filter((r) => r.status === 201);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    expect(new Set(ok.map((r) => r.body.version)).size).toBe(1);
    for (const r of results.filter((r) => r.status !== 201)) {
      expect(r.status).toBe(409);
      expect(r.body.code).toBe('IDEMPOTENCY_KEY_IN_PROGRESS');
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
    expect((await registered()).length).toBe(before + 1);
    const replay = await send();
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body.version).toBe(ok[0].body.version);
  });

  test('a claim whose owner is dead is taken over once its lease runs out; a live claim answers 409 with Retry-After', async () => {
    const first = await register('taken-over', 4);
    expect(first.status).toBe(201);
    // Simulate the claim of a process that died before appending: running, no events under the key
    // (we point the row at a different body's key, so nothing in the store matches it).
    await db.run(`DELETE FROM idempotency_keys`);
    const before = (await registered()).length;
    await db.run(`INSERT INTO idempotency_keys (key_hash, request_hash, state, created_at, owner, lease_until)
      VALUES ('k', 'h', 'running', ?, 'dead-process', ?)`, [new Date().toISOString(), new Date(Date.now() + 60_000).toISOString()]);
    const keys = t.app.get(IdempotencyStore);
    const live = await keys.claim('k', 'h', new Date());
    expect(live).toMatchObject({ claimed: false, state: 'running' });
    expect(live.claimed === false && live.state === 'running' && live.retryAfterSeconds).toBeGreaterThanOrEqual(59);
    // Once the lease has run out the claim is dead: exactly one of two concurrent takers wins it.
    const later = new Date(Date.now() + 61_000);
    const [x, y] = await Promise.all([keys.claim('k', 'h', later), keys.claim('k', 'h', later)]);
    expect([x, y].filter((c) => c.claimed)).toHaveLength(1);
    expect([x, y].find((c) => c.claimed)).toEqual({ claimed: true, takenOver: true });
    await keys.release('k');
    expect((await registered()).length).toBe(before);
  });

  test('over HTTP: a live claim answers 409 IDEMPOTENCY_KEY_IN_PROGRESS with Retry-After, and the key is free once the lease runs out', async () => {
    const key = 'live-then-dead';
    const body = { ...versionBody('x', 5), version: undefined };
    const first = await t.call('POST', '/v1/models/churn/versions', { token: writer, body, headers: { 'idempotency-key': key } });
    expect(first.status).toBe(201);
    // Rewrite the finished row as a running claim held by another (live, then dead) process.
    await orphan(key, new Date(Date.now() + 1500));
    const busy = await t.call('POST', '/v1/models/churn/versions', { token: writer, body, headers: { 'idempotency-key': key } });
    expect(busy.status).toBe(409);
    expect(busy.body.code).toBe('IDEMPOTENCY_KEY_IN_PROGRESS');
    expect(Number(busy.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    await new Promise((r) => setTimeout(r, Number(busy.headers.get('retry-after')) * 1000 + 100));
    const after = await t.call('POST', '/v1/models/churn/versions', { token: writer, body, headers: { 'idempotency-key': key } });
    expect(after.status).toBe(201);
    expect(after.body.version).toBe(first.body.version);
  });
});

/** The same crash during approval-link issuance: the links are issued once. */
describe('approval-link issuance retried after a dead process', () => {
  let t: TestApp;
  let db: SqlDb;
  const directory = testDirectory({ people: ['alice', 'bob', 'carol', 'lead'], groups: { reviewers: ['bob', 'carol'] }, approvers: [{ match: '*', groups: ['reviewers'] }] });

  beforeAll(async () => {
    t = await startTestApp('sqlite', { APPROVERS_FILE: approversFile(directory), APPROVAL_REQUESTS_AUTO: 'false', IDEMPOTENCY_LEASE_SECONDS: '2' });
    db = t.app.get<SqlDb>(SQL_DB);
    const alice = await t.token('alice', ['registry:read', 'registry:write']);
    expect((await t.call('POST', '/v1/models', { token: alice, body: { name: 'churn' } })).status).toBe(201);
    expect((await t.call('POST', '/v1/models/churn/versions', { token: alice, body: versionBody('1.0.0', 1) })).status).toBe(201);
  });
  afterAll(() => t.close());

  test('landed before the crash: the retry answers with the same request and links, and no second set is issued', async () => {
    const lead = await t.token('lead', ['registry:read', 'approvals:write']);
    const issue = () =>
      t.call('POST', '/v1/models/churn/versions/1.0.0/approval-links', { token: lead, body: { approvers: ['bob', 'carol'] }, headers: { 'idempotency-key': 'links-1' } });
    const first = await issue();
    expect(first.status).toBe(201);
    const issued = async () => (await t.store.readAll({ fromPosition: 0 })).filter((e) => e.type === 'ApprovalLinkIssued').length;
    expect(await issued()).toBe(2);
    // The process died after its append and before it could record the answer.
    await db.run(`UPDATE idempotency_keys SET state = 'running', response = NULL, owner = 'dead-process', lease_until = ?`, [new Date(Date.now() - 1000).toISOString()]);

    const retry = await issue();
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBeNull();
    expect(retry.body.requestId).toBe(first.body.requestId);
    expect(retry.body.notified.map((n: { linkId: string }) => n.linkId)).toEqual(first.body.notified.map((n: { linkId: string }) => n.linkId));
    expect(await issued()).toBe(2);

    // A new key is a new request: the same approvers get a second, separate set.
    const other = await t.call('POST', '/v1/models/churn/versions/1.0.0/approval-links', { token: lead, body: { approvers: ['bob'] }, headers: { 'idempotency-key': 'links-2' } });
    expect(other.status).toBe(201);
    expect(other.body.requestId).not.toBe(first.body.requestId);
    expect(await issued()).toBe(3);
  });
});
