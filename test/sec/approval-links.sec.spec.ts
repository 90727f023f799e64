import { decodeJwt, generateKeyPair } from 'jose';
import { approversFile, testDirectory } from '../support/approvers.js';
import { startTestApp, versionBody, type TestApp } from '../support/app.js';
import { forgeLink, issueLinks, page, readOutbox, waitFor } from '../support/links.js';

/**
 * Issue 8, row #1 and the link attacks: whoever issues a link never holds it; a link goes only to
 * a known approver of that model who is neither the registrant nor the issuer; the API never
 * answers with a token or URL. Every refusal writes nothing.
 */
describe('approval links: attacks (embedded SQLite)', () => {
  let t: TestApp;
  let alice: string;
  const offset = { ms: 0 };
  const clock = { now: () => new Date(Date.now() + offset.ms) };
  const directory = testDirectory({
    people: ['alice', 'bob', 'carol', 'dave', 'lead', 'risk-1'],
    groups: { reviewers: ['alice', 'bob', 'carol', 'dave', 'lead'], risk: ['risk-1'] },
    approvers: [
      { match: 'fraud-*', groups: ['risk'] },
      { match: '*', groups: ['reviewers'] },
    ],
  });

  beforeEach(async () => {
    offset.ms = 0;
    t = await startTestApp('sqlite', { APPROVERS_FILE: approversFile(directory), APPROVAL_REQUESTS_AUTO: 'false' }, { clock });
    alice = await t.token('alice', ['registry:read', 'registry:write', 'gates:write', 'approvals:write']);
    for (const name of ['churn', 'fraud-eu']) {
      expect((await t.call('POST', '/v1/models', { token: alice, body: { name } })).status).toBe(201);
      expect((await t.call('POST', `/v1/models/${name}/versions`, { token: alice, body: versionBody('1.0.0', name.length) })).status).toBe(201);
    }
  });
  afterEach(async () => {
    await t.close();
  });

  /** Runs `attack` and asserts that nothing at all was appended to the ledger meanwhile. */
  async function writesNothing<T>(attack: () => Promise<T>): Promise<T> {
    const before = await t.store.headPosition();
    const result = await attack();
    await new Promise((r) => setTimeout(r, 50));
    expect(await t.store.headPosition()).toBe(before);
    return result;
  }

  test('row #1: registry:read+promote issues links for unknown ghosts, then tries to approve and promote — refused, nothing written', async () => {
    const rm = await t.token('rm', ['registry:read', 'registry:promote']);
    const r = await writesNothing(() => t.call('POST', '/v1/models/churn/versions/1.0.0/approval-links', { token: rm, body: { approvers: ['ghost-1', 'ghost-2'] } }));
    expect(r.status).toBe(403);
    expect(r.body.code).toBe('APPROVER_NOT_ELIGIBLE');
    expect(r.body.errors).toEqual([
      expect.objectContaining({ field: 'approvers', rule: 'approverDirectory', approver: 'ghost-1' }),
      expect.objectContaining({ field: 'approvers', rule: 'approverDirectory', approver: 'ghost-2' }),
    ]);
    expect(readOutbox(t.dataDir)).toEqual([]);
    const promote = await writesNothing(() => t.call('POST', '/v1/models/churn/versions/1.0.0/transitions', { token: rm, body: { stage: 'Production' } }));
    expect(promote.status).toBe(422);
    expect((await t.call('GET', '/v1/models/churn/versions/1.0.0', { token: rm })).body.approvalStatus).toBe('PendingManualApproval');
  });

  test('row #1: the registrant cannot issue a link to an invented name, to herself, or to an approver of another model group', async () => {
    const invented = await writesNothing(() => t.call('POST', '/v1/models/churn/versions/1.0.0/approval-links', { token: alice, body: { approvers: ['bob2'] } }));
    expect([invented.status, invented.body.errors[0].rule]).toEqual([403, 'approverDirectory']);
    const self = await writesNothing(() => t.call('POST', '/v1/models/churn/versions/1.0.0/approval-links', { token: alice, body: { approvers: ['alice'] } }));
    expect([self.status, self.body.errors[0].rule]).toEqual([403, 'fourEyes']);
    // bob is a reviewer, but fraud-* models are approved by the risk group only.
    const otherGroup = await writesNothing(() => t.call('POST', '/v1/models/fraud-eu/versions/1.0.0/approval-links', { token: alice, body: { approvers: ['bob'] } }));
    expect([otherGroup.status, otherGroup.body.errors[0].rule]).toEqual([403, 'approverGroup']);
    expect(readOutbox(t.dataDir)).toEqual([]);
  });

  test('row #1: the issuer cannot issue a link to itself, even as a known approver', async () => {
    const lead = await t.token('lead', ['registry:read', 'approvals:write']);
    const r = await writesNothing(() => t.call('POST', '/v1/models/churn/versions/1.0.0/approval-links', { token: lead, body: { approvers: ['carol', 'lead'] } }));
    expect(r.status).toBe(403);
    expect(r.body.errors).toEqual([expect.objectContaining({ rule: 'issuerIsApprover', approver: 'lead' })]);
  });

  test('row #1: a successful issue answers who and how, never the token or URL; only the approver channel has the link', async () => {
    const lead = await t.token('lead', ['registry:read', 'approvals:write']);
    const r = await t.call('POST', '/v1/models/churn/versions/1.0.0/approval-links', { token: lead, body: { approvers: ['bob'] } });
    expect(r.status).toBe(201);
    expect(Object.keys(r.body.notified[0]).sort()).toEqual(['approver', 'channels', 'delivery', 'displayName', 'expiresAt', 'linkId']);
    const [bob] = await issueLinks(t, lead, 'churn', '1.0.0', ['bob']);
    expect(JSON.stringify(r.body)).not.toContain(bob.token.split('.')[0]);
    expect(JSON.stringify(await t.store.readAll())).not.toContain(bob.token.split('.')[2]);
  });

  test('row #1: links recorded before the directory existed (ghosts, issuer-held) are refused at use, nothing written', async () => {
    const legacy = async (jti: string, approver: string, issuer: string) => {
      await t.store.append(`approval-link-${jti}`, [{ id: `018f0000-0000-7000-8000-${jti.padStart(12, '0').slice(-12)}`, type: 'ApprovalLinkIssued', schemaVersion: 1, data: { jti, model: 'churn', version: '1.0.0', approver, expiresAt: new Date(Date.now() + 3600_000).toISOString(), purpose: 'approval' }, metadata: { actor: { sub: issuer, scopes: [] }, correlationId: 'c' } }], { expectedRevision: 'no_stream' });
      return forgeLink(t.dataDir, { sub: approver, model: 'churn', version: '1.0.0', jti });
    };
    const ghost = await legacy('00000000aaa1', 'ghost-1', 'rm');
    const held = await legacy('00000000aaa2', 'bob', 'bob');
    // The dispatcher refuses to deliver either (dead letter at once); then nothing more is written.
    const failed = await waitFor('two dead letters', async () => {
      const f = (await t.store.readAll()).filter((e) => e.type === 'NotificationFailed');
      return f.length === 2 ? f : undefined;
    });
    expect(failed.map((e) => [(e.data as any).approver, (e.data as any).final])).toEqual([['ghost-1', true], ['bob', true]]);
    expect(readOutbox(t.dataDir)).toEqual([]);
    for (const token of [ghost, held]) {
      const shown = await writesNothing(() => page(t, 'GET', token));
      expect([shown.status, shown.headers.get('x-refusal-code')]).toEqual([403, 'APPROVER_NOT_ELIGIBLE']);
      const posted = await writesNothing(() => page(t, 'POST', token, { decision: 'approve' }));
      expect([posted.status, posted.headers.get('x-refusal-code')]).toEqual([403, 'APPROVER_NOT_ELIGIBLE']);
    }
  });

  describe('link attacks that were already refused stay refused', () => {
    let lead: string;
    beforeEach(async () => {
      lead = await t.token('lead', ['registry:read', 'approvals:write']);
    });

    test('replay of a used link: 409, nothing written', async () => {
      const [bob] = await issueLinks(t, lead, 'churn', '1.0.0', ['bob']);
      expect((await page(t, 'POST', bob.token, { decision: 'approve' })).status).toBe(200);
      await new Promise((r) => setTimeout(r, 100));
      const replay = await writesNothing(() => page(t, 'POST', bob.token, { decision: 'approve' }));
      expect([replay.status, replay.headers.get('x-refusal-code')]).toEqual([409, 'LINK_ALREADY_USED']);
    });

    test('tampered payload or signature, and a token signed by a foreign key: 401, nothing written', async () => {
      const [bob] = await issueLinks(t, lead, 'churn', '1.0.0', ['bob']);
      await new Promise((r) => setTimeout(r, 100));
      const [h, p, s] = bob.token.split('.');
      const otherPayload = Buffer.from(JSON.stringify({ ...decodeJwt(bob.token), sub: 'carol' })).toString('base64url');
      const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
      const foreign = await forgeLink(t.dataDir, { sub: 'bob', model: 'churn', version: '1.0.0', jti: decodeJwt(bob.token).jti }, { key: privateKey });
      for (const token of [`${h}.${otherPayload}.${s}`, `${h}.${p}.${s.slice(0, -4)}AAAA`, foreign]) {
        const r = await writesNothing(() => page(t, 'POST', token, { decision: 'approve' }));
        expect([r.status, r.headers.get('x-refusal-code')]).toEqual([401, 'LINK_INVALID']);
      }
      expect((await t.call('GET', '/v1/models/churn/versions/1.0.0', { token: lead })).body.approvals).toEqual([]);
    });

    test('a form for another version than the token: 400, nothing written', async () => {
      await t.call('POST', '/v1/models/churn/versions', { token: alice, body: versionBody('1.1.0', 77) });
      const [bob] = await issueLinks(t, lead, 'churn', '1.0.0', ['bob']);
      await new Promise((r) => setTimeout(r, 100));
      const r = await writesNothing(() => page(t, 'POST', bob.token, { decision: 'approve', model: 'churn', version: '1.1.0' }));
      expect([r.status, r.headers.get('x-refusal-code')]).toEqual([400, 'LINK_VERSION_MISMATCH']);
    });

    test('a link past its expiry (server clock moved on): 410, nothing written', async () => {
      const [bob] = await issueLinks(t, lead, 'churn', '1.0.0', ['bob'], 1);
      await new Promise((r) => setTimeout(r, 100));
      offset.ms = 2 * 3600_000;
      const r = await writesNothing(() => page(t, 'POST', bob.token, { decision: 'approve' }));
      expect([r.status, r.headers.get('x-refusal-code')]).toEqual([410, 'LINK_EXPIRED']);
    });

    test('10 concurrent POSTs on one link: exactly one 200, one approval, one ApprovalLinkUsed', async () => {
      const [bob] = await issueLinks(t, lead, 'churn', '1.0.0', ['bob']);
      const results = await Promise.all(Array.from({ length: 10 }, () => page(t, 'POST', bob.token, { decision: 'approve' })));
      const statuses = results.map((r) => r.status).sort();
      expect(statuses.filter((s) => s === 200)).toHaveLength(1);
      expect(statuses.filter((s) => s !== 200).every((s) => s === 409)).toBe(true);
      const events = await t.store.readAll();
      expect(events.filter((e) => e.type === 'VersionApproved')).toHaveLength(1);
      expect(events.filter((e) => e.type === 'ApprovalLinkUsed')).toHaveLength(1);
    });
  });
});
