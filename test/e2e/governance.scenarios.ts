import { startTestApp, versionBody, type TestApp } from '../support/app.js';
import { approversFile } from '../support/approvers.js';
import { linkFromOutbox, page, waitFor } from '../support/links.js';
import { GOVERNANCE_POLICY, policyFile } from '../support/policy.js';

/** Governance over real HTTP (policy, gates, readiness, N-of-M); run on SQLite (e2e) and PostgreSQL (int). */
export function governanceScenarios(kind: 'sqlite' | 'postgres'): void {
  let t: TestApp;
  let alice: string; // registers, records CI gates
  let bob: string; // approver
  let carol: string; // approver
  let rm: string; // release manager
  const file = policyFile(GOVERNANCE_POLICY);

  beforeEach(async () => {
    t = await startTestApp(kind, { POLICY_FILE: file, APPROVERS_FILE: approversFile() });
    alice = await t.token('alice', ['registry:read', 'registry:write', 'gates:write', 'approvals:write']);
    bob = await t.token('bob', ['registry:read', 'approvals:write']);
    carol = await t.token('carol', ['registry:read', 'approvals:write:fraud-*']);
    rm = await t.token('rm', ['registry:read', 'registry:promote']);
  });
  afterEach(async () => {
    await t.close();
  });

  async function model(name: string) {
    expect((await t.call('POST', '/v1/models', { token: alice, body: { name } })).status).toBe(201);
  }
  async function register(name: string, version: string, n: number, extra: Record<string, unknown> = {}) {
    const r = await t.call('POST', `/v1/models/${name}/versions`, { token: alice, body: versionBody(version, n, extra) });
    expect(r.status).toBe(201);
    return r.body;
  }
  const approve = (name: string, version: string, token: string, decision = 'approve') =>
    t.call('POST', `/v1/models/${name}/versions/${version}/approvals`, { token, body: { decision, comment: 'looked at it' } });
  const gate = (name: string, version: string, g: string, status: string, metrics?: Record<string, number>) =>
    t.call('POST', `/v1/models/${name}/versions/${version}/gates`, { token: alice, body: { gate: g, status, metrics, evidenceUri: `https://ci.example.com/${g}` } });
  const promote = (name: string, version: string) => t.call('POST', `/v1/models/${name}/versions/${version}/transitions`, { token: rm, body: { stage: 'Production' } });

  test('the loaded policy is recorded once as a PolicyChanged event with its content hash', async () => {
    const events = (await t.store.readStream('$policy')).map((e) => ({ type: e.type, data: e.data as any, actor: e.metadata.actor.sub }));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'PolicyChanged', actor: 'system:startup', data: { source: file } });
    expect(events[0].data.contentHash).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(events[0].data.policyId).toBe(`policy@${events[0].data.contentHash.slice(7, 19)}`);
  });

  test('readiness lists every requirement without promoting; a refusal lists every unmet one', async () => {
    await model('churn');
    await register('churn', '1.0.0', 1, { lineage: { gitCommit: 'a'.repeat(40), image: { ref: 'serving/churn:latest' } } });
    const ready = await t.call('GET', '/v1/models/churn/versions/1.0.0/readiness', { token: bob });
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ name: 'churn', version: '1.0.0', target: 'Production', ready: false, unmet: 4 });
    expect(ready.body.policy).toMatch(/^policy@/);
    expect(ready.body.requirements.map((r: any) => [r.gate ?? r.code, r.met])).toEqual([
      ['APPROVAL_REQUIRED', false],
      ['lineage-complete', false],
      ['image-pinned', false],
      ['offline-quality', true],
      ['latency-p95', false],
    ]);
    expect((await approve('churn', '1.0.0', bob)).status).toBe(201);
    const refused = await promote('churn', '1.0.0');
    expect(refused.status).toBe(422);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(refused.body.code).toBe('PROMOTION_REQUIREMENTS_UNMET');
    expect(refused.body.unmet.map((u: any) => u.gate)).toEqual(['lineage-complete', 'image-pinned', 'latency-p95']);
    expect(refused.body.errors.map((e: any) => e.rule)).toEqual(['GATE_UNMET', 'GATE_UNMET', 'GATE_MISSING']);
    expect((await t.call('GET', '/v1/models/churn/versions/1.0.0', { token: bob })).body.stage).toBe('None');
  });

  test('readiness for Staging and for a protected alias; unknown version 404; bad target 400', async () => {
    await model('churn');
    await register('churn', '1.0.0', 1);
    const staging = await t.call('GET', '/v1/models/churn/versions/1.0.0/readiness?target=Staging', { token: bob });
    expect(staging.body).toMatchObject({ target: 'Staging', ready: true, requirements: [] });
    const champion = await t.call('GET', '/v1/models/churn/versions/1.0.0/readiness?target=champion', { token: bob });
    expect(champion.body.requirements.map((r: any) => r.gate ?? r.code)).toEqual(['APPROVAL_REQUIRED', 'lineage-complete', 'image-pinned', 'offline-quality', 'latency-p95']);
    expect((await t.call('GET', '/v1/models/churn/versions/9.9.9/readiness', { token: bob })).body.code).toBe('VERSION_NOT_FOUND');
    const bad = await t.call('GET', '/v1/models/churn/versions/1.0.0/readiness?target=PROD!', { token: bob });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].field).toBe('target');
  });

  test('CI-recorded gates with thresholds, then promotion; the gate and the promotion name the policy', async () => {
    await model('churn');
    await register('churn', '1.0.0', 1);
    expect((await gate('churn', '1.0.0', 'latency-p95', 'passed', { p95_ms: 180 })).status).toBe(201);
    await approve('churn', '1.0.0', bob);
    const slow = await promote('churn', '1.0.0');
    expect(slow.status).toBe(422);
    expect(slow.body.unmet).toEqual([expect.objectContaining({ gate: 'latency-p95', status: 'failed', evidenceUri: 'https://ci.example.com/latency-p95' })]);
    expect(slow.body.unmet[0].message).toContain('p95_ms = 180 > 150');
    const recorded = await gate('churn', '1.0.0', 'latency-p95', 'passed', { p95_ms: 120 });
    expect(recorded.body.gates['latency-p95']).toMatchObject({ status: 'passed', policy: expect.stringMatching(/^policy@/) });
    expect((await t.call('GET', '/v1/models/churn/versions/1.0.0/readiness', { token: bob })).body.ready).toBe(true);
    expect((await promote('churn', '1.0.0')).status).toBe(200);
    const events = await t.store.readStream('model-churn');
    const promoted = events.find((e) => e.type === 'VersionPromoted')!;
    expect((promoted.data as any).policy).toBe(recorded.body.gates['latency-p95'].policy);
  });

  test('offline-quality compares with the incumbent Production version', async () => {
    await model('churn');
    await register('churn', '1.0.0', 1, { metrics: { auc: 0.9 } });
    await gate('churn', '1.0.0', 'latency-p95', 'passed', { p95_ms: 100 });
    await approve('churn', '1.0.0', bob);
    expect((await promote('churn', '1.0.0')).status).toBe(200);
    await register('churn', '1.1.0', 2, { metrics: { auc: 0.88 } });
    const r = await t.call('GET', '/v1/models/churn/versions/1.1.0/readiness', { token: bob });
    expect(r.body.requirements.find((x: any) => x.gate === 'offline-quality')).toMatchObject({
      met: false,
      value: 0.88,
      incumbent: { version: '1.0.0', value: 0.9 },
      tolerance: 0.01,
    });
  });

  test('N-of-M from the per-model override: distinct approvers, status moves on the N-th', async () => {
    await model('fraud-eu');
    await register('fraud-eu', '1.0.0', 1, { modelCard: '# Fraud model' });
    const first = await approve('fraud-eu', '1.0.0', bob);
    expect(first.status).toBe(201);
    expect(first.body.approvalStatus).toBe('PendingManualApproval');
    const again = await approve('fraud-eu', '1.0.0', bob);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('DUPLICATE_APPROVER');
    const refused = await promote('fraud-eu', '1.0.0');
    expect(refused.body.unmet).toEqual([expect.objectContaining({ code: 'APPROVAL_REQUIRED', approvals: 1, required: 2, approvers: ['bob'] })]);
    const second = await approve('fraud-eu', '1.0.0', carol);
    expect(second.body.approvalStatus).toBe('Approved');
    expect(second.body.approvals.map((a: any) => a.sub)).toEqual(['bob', 'carol']);
    expect((await promote('fraud-eu', '1.0.0')).status).toBe(200);
  });

  test('four-eyes: the registrant cannot approve their own version', async () => {
    await model('churn');
    await register('churn', '1.0.0', 1);
    const r = await approve('churn', '1.0.0', alice);
    expect(r.status).toBe(403);
    expect(r.body.code).toBe('SELF_APPROVAL_FORBIDDEN');
  });

  test('approvals:write qualified for other models is refused; registry:promote:fraud-* cannot promote churn', async () => {
    await model('churn');
    await register('churn', '1.0.0', 1);
    const r = await approve('churn', '1.0.0', carol);
    expect(r.status).toBe(403);
    expect(r.body).toMatchObject({ code: 'MISSING_SCOPE', requiredScope: 'approvals:write' });
    await approve('churn', '1.0.0', bob);
    await gate('churn', '1.0.0', 'latency-p95', 'passed', { p95_ms: 100 });
    const fraudOnly = await t.token('dave', ['registry:read', 'registry:promote:fraud-*']);
    const p = await t.call('POST', '/v1/models/churn/versions/1.0.0/transitions', { token: fraudOnly, body: { stage: 'Production' } });
    expect(p.status).toBe(403);
  });

  describe('semver rules and range resolution', () => {
    const changedSignature = { inputs: [{ name: 'tenure', type: 'double' }, { name: 'region', type: 'string' }], outputs: [{ name: 'p', type: 'double' }] };

    test('a schema change without a MAJOR bump is refused with the diff; an omitted version is assigned and explained', async () => {
      await model('churn');
      await register('churn', '1.0.0', 1);
      const minor = await t.call('POST', '/v1/models/churn/versions', { token: alice, body: versionBody('1.1.0', 2, { signature: changedSignature }) });
      expect(minor.status).toBe(422);
      expect(minor.body).toMatchObject({
        code: 'SEMVER_RULE_VIOLATED',
        previousVersion: '1.0.0',
        requiredBump: 'major',
        actualBump: 'minor',
        schemaChanges: [`inputs: added 'region' {"type":"string"}`],
      });
      expect(minor.body.errors[0]).toMatchObject({ field: 'version', rule: 'semver-major' });
      const patch = await t.call('POST', '/v1/models/churn/versions', { token: alice, body: versionBody('1.0.1', 3) });
      expect(patch.body).toMatchObject({ code: 'SEMVER_RULE_VIOLATED', requiredBump: 'minor' });
      const fix = await t.call('POST', '/v1/models/churn/versions', { token: alice, body: versionBody('1.0.1', 3, { changeKind: 'fix' }) });
      expect(fix.status).toBe(201);
      const { version: _omit, ...noVersion } = versionBody('x', 4, { signature: changedSignature });
      const assigned = await t.call('POST', '/v1/models/churn/versions', { token: alice, body: noVersion });
      expect(assigned.status).toBe(201);
      expect(assigned.body.version).toBe('2.0.0');
      expect(assigned.headers.get('location')).toBe('/v1/models/churn/versions/2.0.0');
      const events = await t.store.readStream('model-churn');
      const registered = events.filter((e) => e.type === 'VersionRegistered').map((e) => e.data as any);
      expect(registered[registered.length - 1].semver).toMatchObject({ assigned: true, previous: '1.0.1', bump: 'major', schemaChanges: [`inputs: added 'region' {"type":"string"}`] });
      expect(registered[registered.length - 1].semver.reason).toContain('assigned 2.0.0');
    });

    test('models:/churn@^2.3 resolves to the highest Production version in range; &stage=any to any non-archived', async () => {
      await model('churn');
      await register('churn', '2.3.0', 1);
      await gate('churn', '2.3.0', 'latency-p95', 'passed', { p95_ms: 90 });
      await approve('churn', '2.3.0', bob);
      expect((await promote('churn', '2.3.0')).status).toBe(200);
      await register('churn', '2.4.0', 2);
      await register('churn', '3.0.0', 3, { signature: changedSignature });
      const resolve = (q: string) => t.call('GET', `/v1/resolve?uri=${encodeURIComponent(q.split('&')[0])}${q.includes('&') ? `&${q.split('&')[1]}` : ''}`, { token: bob });
      expect((await resolve('models:/churn@^2.3')).body.version).toBe('2.3.0');
      expect((await resolve('models:/churn@>=2.3 <3')).body.version).toBe('2.3.0');
      expect((await resolve('models:/churn@>=2.3,<3.0&stage=any')).body.version).toBe('2.4.0');
      expect((await resolve('models:/churn@^2.3&stage=any')).body.version).toBe('2.4.0');
      expect((await resolve('models:/churn@>=3&stage=any')).body.version).toBe('3.0.0');
      const none = await resolve('models:/churn@~2.4');
      expect(none.status).toBe(404);
      expect(none.body.detail).toContain('stage=any');
      expect((await resolve('models:/churn@~2.4&stage=any')).body.version).toBe('2.4.0');
      expect((await resolve('models:/churn@prod')).body.version).toBe('2.3.0');
      const bad = await resolve('models:/churn@^two');
      expect(bad.status).toBe(422);
    });
  });

  test('Figure 10.5: register v7 → CI gates → link → approver approves on the page → release manager promotes → @prod is v7 → rollback to v6', async () => {
    await model('churn');
    await register('churn', '6.0.0', 6, { metrics: { auc: 0.9 } });
    await gate('churn', '6.0.0', 'latency-p95', 'passed', { p95_ms: 110 });
    await approve('churn', '6.0.0', bob);
    expect((await promote('churn', '6.0.0')).status).toBe(200);

    // 1. The data scientist registers v7 with full lineage and a pinned image.
    await register('churn', '7.0.0', 7, { metrics: { auc: 0.915 } });
    // 2. CI records the gates it owns; the server judges the rest from the recorded facts.
    expect((await gate('churn', '7.0.0', 'latency-p95', 'passed', { p95_ms: 95 })).status).toBe(201);
    const readiness = await t.call('GET', '/v1/models/churn/versions/7.0.0/readiness', { token: rm });
    expect(readiness.body.requirements.filter((r: any) => !r.met).map((r: any) => r.code)).toEqual(['APPROVAL_REQUIRED']);
    // 3. Only approvals are missing, so the server requests them: every eligible approver gets a link (here: the outbox).
    const request = await waitFor('the automatic approval request', async () =>
      (await t.store.readStream('approval-request-churn@7.0.0')).find((e) => e.type === 'ApprovalRequested'),
    );
    expect(request.data).toMatchObject({ trigger: 'automatic', requestedBy: 'system:approval-requests' });
    expect((request.data as any).links.map((l: any) => l.approver)).not.toContain('alice');
    const bobLink = (request.data as any).links.find((l: any) => l.approver === 'bob');
    const links = [await linkFromOutbox(t, bobLink.linkId)];
    // 4. The approver opens the page and approves (the form post a browser makes).
    const shown = await page(t, 'GET', links[0].token);
    expect(shown.status).toBe(200);
    expect(shown.html).toContain('run-7');
    const approved = await page(t, 'POST', links[0].token, { decision: 'approve', comment: 'ok to ship', model: 'churn', version: '7.0.0' });
    expect(approved.status).toBe(200);
    // 5. The release manager promotes; the incumbent is archived and @prod moves in one append.
    const promoted = await promote('churn', '7.0.0');
    expect(promoted.status).toBe(200);
    expect(promoted.body).toMatchObject({ stage: 'Production', approvalStatus: 'Approved', aliases: ['prod'] });
    // 6. Serving resolves the alias.
    const resolved = await t.call('GET', `/v1/resolve?uri=${encodeURIComponent('models:/churn@prod')}`, { token: bob });
    expect(resolved.body).toMatchObject({ version: '7.0.0', artifact: { digest: versionBody('7.0.0', 7).artifact.digest } });
    // 7. One call rolls back to v6.
    const rolledBack = await t.call('POST', '/v1/models/churn/rollback', { token: rm, body: { toVersion: '6.0.0', reason: 'latency regression in canary' } });
    expect(rolledBack.status).toBe(200);
    expect((await t.call('GET', `/v1/resolve?uri=${encodeURIComponent('models:/churn@prod')}`, { token: bob })).body.version).toBe('6.0.0');
    expect((await t.call('GET', '/v1/models/churn/versions/7.0.0', { token: bob })).body.stage).toBe('Archived');

    const events = (await t.store.readAll()).filter((e) => e.stream === 'model-churn' || e.stream.startsWith('approval-link-') || e.stream.startsWith('approval-request-'));
    const trail = events.filter((e) => (e.data as any).version === '7.0.0' || (e.data as any).toVersion === '6.0.0').map((e) => `${e.type}:${e.metadata.actor.sub}${e.metadata.via ? `(${e.metadata.via})` : ''}`);
    expect(trail).toEqual([
      'VersionRegistered:alice',
      'GatePassed:alice',
      // Caused by the gate: one request, one link for each approver of the directory but the registrant.
      'ApprovalRequested:system:approval-requests',
      ...Array(8).fill('ApprovalLinkIssued:system:approval-requests'),
      'VersionApproved:bob(approval-link)',
      'ApprovalLinkUsed:bob(approval-link)',
      'VersionPromoted:rm',
      'AliasSet:rm',
      'RolledBack:rm',
      'VersionArchived:rm',
    ]);
  });
}
