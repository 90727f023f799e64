import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, decodeJwt } from 'jose';
import { startTestApp, versionBody, type TestApp } from '../support/app.js';
import { approversFile } from '../support/approvers.js';
import { forgeLink, issueLinks, page, readOutbox } from '../support/links.js';

describe('signed approval links and the approver page (embedded SQLite)', () => {
  let t: TestApp;
  let dataDir: string;
  let alice: string;
  let lead: string;
  // Links are issued by hand here; automatic requests have their own suite.
  const env = (extra: Record<string, string> = {}) => ({ DATA_DIR: dataDir, APPROVERS_FILE: approversFile(), APPROVAL_REQUESTS_AUTO: 'false', ...extra });

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'ml-links-'));
    t = await startTestApp('sqlite', env());
    alice = await t.token('alice', ['registry:read', 'registry:write', 'gates:write']);
    lead = await t.token('lead', ['registry:read', 'approvals:write']);
    await t.call('POST', '/v1/models', { token: alice, body: { name: 'churn' } });
    const card = '# Churn v1\n<script>alert("x")</script><img src=x onerror=alert(1)>\n[click](javascript:alert(1))';
    const r = await t.call('POST', '/v1/models/churn/versions', { token: alice, body: versionBody('1.0.0', 1, { modelCard: card, description: '"><script>bad()</script>' }) });
    expect(r.status).toBe(201);
    await t.call('POST', '/v1/models/churn/versions/1.0.0/gates', { token: alice, body: { gate: 'offline-quality', status: 'passed', evidenceUri: 'javascript:alert(1)' } });
  });
  afterEach(async () => {
    await t.close();
  });

  test('issuing answers who is notified and how, never a token or URL; the link reaches the approver through the outbox', async () => {
    const r = await t.call('POST', '/v1/models/churn/versions/1.0.0/approval-links', { token: lead, body: { approvers: ['bob', 'carol'], ttlHours: 24 } });
    expect(r.status).toBe(201);
    expect(r.body.notified.map((n: any) => [n.approver, n.displayName, n.channels, n.delivery])).toEqual([
      ['bob', 'Bob Tester', ['outbox'], 'queued'],
      ['carol', 'Carol Tester', ['outbox'], 'queued'],
    ]);
    expect(JSON.stringify(r.body)).not.toMatch(/approve\/|eyJ/);
    const links = await issueLinks(t, lead, 'churn', '1.0.0', ['bob', 'carol'], 24);
    expect(links.map((l: any) => l.approver)).toEqual(['bob', 'carol']);
    expect(links[0].url).toMatch(new RegExp(`^${t.url}/approve/[\\w-]+\\.[\\w-]+\\.[\\w-]+$`));
    expect(links[0].email).toBe('bob@example.test');
    const claims = decodeJwt(links[0].token);
    expect(claims).toMatchObject({ sub: 'bob', model: 'churn', version: '1.0.0', purpose: 'approval' });
    expect(claims.exp! - claims.iat!).toBe(24 * 3600);
    const all = await t.store.readAll();
    const issued = all.filter((e) => e.type === 'ApprovalLinkIssued');
    expect(issued.map((e) => (e.data as any).approver)).toEqual(['bob', 'carol', 'bob', 'carol']);
    expect(issued[0].metadata.actor.sub).toBe('lead');
    expect(all.filter((e) => e.type === 'ApprovalRequested').map((e) => (e.data as any).requestedBy)).toEqual(['lead', 'lead']);
    // Neither the token nor the email address is in the ledger.
    expect(JSON.stringify(all)).not.toContain(links[0].token.split('.')[2]);
    expect(JSON.stringify(all)).not.toContain('@example.test');
    const sent = all.filter((e) => e.type === 'NotificationSent');
    expect(sent.length).toBeGreaterThanOrEqual(2);
    expect(sent[0].data).toMatchObject({ channel: 'outbox', kind: 'approval-link', approver: 'bob', linkId: (issued[0].data as any).jti, attempt: 1 });
    const self = await t.call('POST', '/v1/models/churn/versions/1.0.0/approval-links', { token: lead, body: { approvers: ['alice', 'bob'] } });
    expect(self.status).toBe(403);
    expect(self.body).toMatchObject({ code: 'APPROVER_NOT_ELIGIBLE', errors: [{ field: 'approvers', rule: 'fourEyes', approver: 'alice' }] });
    const noScope = await t.call('POST', '/v1/models/churn/versions/1.0.0/approval-links', { token: alice, body: { approvers: ['bob'] } });
    expect(noScope.status).toBe(403);
    const bad = await t.call('POST', '/v1/models/churn/versions/1.0.0/approval-links', { token: lead, body: { approvers: [], ttlHours: 0 } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: any) => e.field).sort()).toEqual(['approvers', 'ttlHours']);
    expect(readOutbox(t.dataDir)).toHaveLength(4);
  });

  test('the page shows the version, escapes registered text, sets the security headers; approving consumes the link', async () => {
    const [bob] = await issueLinks(t, lead, 'churn', '1.0.0', ['bob']);
    const shown = await page(t, 'GET', bob.token);
    expect(shown.status).toBe(200);
    expect(shown.headers.get('content-security-policy')).toMatch(/default-src 'none'; style-src 'nonce-[^']+'; .*form-action 'self'.*frame-ancestors 'none'/);
    expect(shown.headers.get('x-frame-options')).toBe('DENY');
    expect(shown.headers.get('referrer-policy')).toBe('no-referrer');
    expect(shown.html).toContain('run-1');
    expect(shown.html).toContain('a'.repeat(40));
    expect(shown.html).not.toContain('<script');
    expect(shown.html).not.toContain('<img src=x');
    expect(shown.html).toContain('&#60;script&#62;');
    expect(shown.html).not.toMatch(/href="javascript:/i);
    const done = await page(t, 'POST', bob.token, { decision: 'approve', comment: 'checked the lineage', model: 'churn', version: '1.0.0' });
    expect(done.status).toBe(200);
    expect(done.html).toContain('Approval recorded');
    const version = await t.call('GET', '/v1/models/churn/versions/1.0.0', { token: lead });
    expect(version.body.approvalStatus).toBe('Approved');
    expect(version.body.approvals).toEqual([expect.objectContaining({ sub: 'bob', comment: 'checked the lineage' })]);
    const events = await t.store.readAll();
    const approved = events.find((e) => e.type === 'VersionApproved')!;
    expect(approved.metadata).toMatchObject({ actor: { sub: 'bob' }, via: 'approval-link' });
    expect(approved.metadata.causationId).toBe(events.find((e) => e.type === 'ApprovalLinkIssued')!.id);
    const used = events.find((e) => e.type === 'ApprovalLinkUsed')!;
    expect(used.data).toMatchObject({ approver: 'bob', decision: 'approve', model: 'churn', version: '1.0.0' });
    const replay = await page(t, 'POST', bob.token, { decision: 'approve' });
    expect(replay.status).toBe(409);
    expect(replay.html).toContain('already used');
    expect(replay.html).toContain('bob');
  });

  test('replay after a restart is refused, saying by whom and when', async () => {
    const [bob] = await issueLinks(t, lead, 'churn', '1.0.0', ['bob']);
    expect((await page(t, 'POST', bob.token, { decision: 'reject', comment: 'no' })).status).toBe(200);
    await t.close();
    t = await startTestApp('sqlite', env());
    const again = await page(t, 'GET', bob.token);
    expect(again.status).toBe(409);
    expect(again.headers.get('x-refusal-code')).toBe('LINK_ALREADY_USED');
    expect(again.html).toMatch(/bob rejected churn 1\.0\.0 at \d{4}-\d\d-\d\dT/);
  });

  test('refusal pages: expired, tampered, foreign key, wrong purpose, unknown jti, wrong version, bad decision, decided, rejected, archived', async () => {
    const [bob, carol] = await issueLinks(t, lead, 'churn', '1.0.0', ['bob', 'carol', 'dave']);
    const code = async (token: string, method: 'GET' | 'POST' = 'GET', form?: Record<string, string>) => {
      const r = await page(t, method, token, form ?? (method === 'POST' ? { decision: 'approve' } : undefined));
      return [r.status, r.headers.get('x-refusal-code')];
    };
    const jti = decodeJwt(bob.token).jti as string;
    expect(await code(await forgeLink(dataDir, { sub: 'bob', model: 'churn', version: '1.0.0', jti }, { exp: Math.floor(Date.now() / 1000) - 60 }))).toEqual([410, 'LINK_EXPIRED']);
    const [h, p, s] = bob.token.split('.');
    const otherPayload = Buffer.from(JSON.stringify({ ...decodeJwt(bob.token), version: '9.9.9' })).toString('base64url');
    expect(await code(`${h}.${otherPayload}.${s}`)).toEqual([401, 'LINK_INVALID']);
    expect(await code(`${h}.${p}.${s.slice(0, -4)}AAAA`)).toEqual([401, 'LINK_INVALID']);
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    expect(await code(await forgeLink(dataDir, { sub: 'bob', model: 'churn', version: '1.0.0', jti }, { key: privateKey }))).toEqual([401, 'LINK_INVALID']);
    expect(await code(await forgeLink(dataDir, { sub: 'bob', model: 'churn', version: '1.0.0', jti, purpose: 'login' }))).toEqual([401, 'LINK_INVALID']);
    expect(await code(await forgeLink(dataDir, { sub: 'bob', model: 'churn', version: '1.0.0', jti: 'never-issued' }))).toEqual([401, 'LINK_UNKNOWN']);
    // A validly signed token whose claims do not match the recorded issue (carol's jti, bob as subject) is refused.
    expect(await code(await forgeLink(dataDir, { sub: 'bob', model: 'churn', version: '1.0.0', jti: decodeJwt(carol.token).jti }))).toEqual([401, 'LINK_UNKNOWN']);
    expect(await code(bob.token, 'POST', { decision: 'approve', model: 'churn', version: '2.0.0' })).toEqual([400, 'LINK_VERSION_MISMATCH']);
    expect(await code(bob.token, 'POST', { decision: 'maybe' })).toEqual([400, 'INVALID_DECISION']);
    expect(await code(bob.token, 'POST')).toEqual([200, null]);
    expect(await code(carol.token)).toEqual([409, 'ALREADY_DECIDED']);

    await t.call('POST', '/v1/models/churn/versions', { token: alice, body: versionBody('1.1.0', 2) });
    const [eve] = await issueLinks(t, lead, 'churn', '1.1.0', ['eve']);
    const [frank] = await issueLinks(t, lead, 'churn', '1.1.0', ['frank']);
    expect((await page(t, 'POST', eve.token, { decision: 'reject', comment: 'metrics regressed' })).status).toBe(200);
    const rejected = await page(t, 'GET', frank.token);
    expect([rejected.status, rejected.headers.get('x-refusal-code')]).toEqual([409, 'VERSION_REJECTED']);
    expect(rejected.html).toContain('eve');

    const rm = await t.token('rm', ['registry:read', 'registry:promote']);
    await t.call('POST', '/v1/models/churn/versions', { token: alice, body: versionBody('1.2.0', 3) });
    const [gina] = await issueLinks(t, lead, 'churn', '1.2.0', ['gina']);
    expect((await t.call('POST', '/v1/models/churn/versions/1.2.0/transitions', { token: rm, body: { stage: 'Archived' } })).status).toBe(200);
    expect(await code(gina.token)).toEqual([409, 'VERSION_ARCHIVED']);
  });

  test('four-eyes holds on the page even for a validly signed and recorded link', async () => {
    // Issuing refuses the registrant, so record a link as a server before this check would have (one issued to alice).
    const jti = 'legacy-link-alice';
    const expiresAt = new Date(Date.now() + 3600_000);
    expiresAt.setMilliseconds(0);
    await t.store.append(`approval-link-${jti}`, [{ id: '018f0000-0000-7000-8000-00000000a11c', type: 'ApprovalLinkIssued', schemaVersion: 1, data: { jti, model: 'churn', version: '1.0.0', approver: 'alice', expiresAt: expiresAt.toISOString(), purpose: 'approval' }, metadata: { actor: { sub: 'lead', scopes: [] }, correlationId: 'c' } }], { expectedRevision: 'no_stream' });
    const self = await forgeLink(dataDir, { sub: 'alice', model: 'churn', version: '1.0.0', jti }, { exp: Math.floor(expiresAt.getTime() / 1000) });
    const r = await page(t, 'GET', self);
    expect([r.status, r.headers.get('x-refusal-code')]).toEqual([403, 'SELF_APPROVAL_FORBIDDEN']);
    expect(r.html).toContain('alice registered version 1.0.0');
  });

  test('N-of-M through links: the first approval records, the second (distinct approver) approves', async () => {
    await t.close();
    const { policyFile } = await import('../support/policy.js');
    t = await startTestApp('sqlite', env({ POLICY_FILE: policyFile({ default: { requiredApprovals: 2 } }) }));
    const issuer = await t.token('lead', ['approvals:write']);
    const [bob, carol] = await issueLinks(t, issuer, 'churn', '1.0.0', ['bob', 'carol']);
    const first = await page(t, 'POST', bob.token, { decision: 'approve' });
    expect(first.html).toContain('Status: PendingManualApproval (1 of 2 approvals)');
    const shown = await page(t, 'GET', carol.token);
    expect(shown.html).toContain('1 of 2 (bob)');
    const second = await page(t, 'POST', carol.token, { decision: 'approve' });
    expect(second.html).toContain('Status: Approved (2 of 2 approvals)');
    const types = (await t.store.readStream('model-churn')).map((e) => e.type).filter((x) => x.includes('Approv'));
    expect(types).toEqual(['ApprovalRecorded', 'VersionApproved']);
  });
});
