import { generateKeyPair } from 'jose';
import { startTestApp, versionBody, type TestApp } from '../support/app.js';

/** The registry over real HTTP; run on SQLite by the e2e tier and on PostgreSQL by the integration tier. */
export function registryScenarios(kind: 'sqlite' | 'postgres'): void {
  let t: TestApp;
  let admin: string;
  let alice: string; // data scientist: registers
  let bob: string; // approver
  let rm: string; // release manager: promotes
  let reader: string;

  beforeEach(async () => {
    t = await startTestApp(kind);
    admin = await t.token('admin', ['registry:read', 'registry:write', 'gates:write', 'approvals:write', 'registry:promote']);
    alice = await t.token('alice', ['registry:read', 'registry:write', 'gates:write']);
    bob = await t.token('bob', ['registry:read', 'approvals:write']);
    rm = await t.token('rm', ['registry:read', 'registry:promote']);
    reader = await t.token('reader', ['registry:read']);
  });
  afterEach(async () => {
    await t.close();
  });

  async function model(name = 'churn') {
    const r = await t.call('POST', '/v1/models', { token: alice, body: { name, owners: ['retention'], tags: { domain: 'marketing' } } });
    expect(r.status).toBe(201);
  }
  async function registered(version: string, n: number, name = 'churn') {
    const r = await t.call('POST', `/v1/models/${name}/versions`, { token: alice, body: versionBody(version, n) });
    expect(r.status).toBe(201);
    return r.body;
  }
  async function approved(version: string, name = 'churn') {
    const r = await t.call('POST', `/v1/models/${name}/versions/${version}/approvals`, { token: bob, body: { decision: 'approve', comment: 'lgtm' } });
    expect(r.status).toBe(201);
  }
  async function promoted(version: string, name = 'churn') {
    const r = await t.call('POST', `/v1/models/${name}/versions/${version}/transitions`, { token: rm, body: { stage: 'Production', reason: 'release' } });
    expect(r.status).toBe(200);
    return r.body;
  }

  describe('authentication and scopes', () => {
    test('no token is 401 problem+json with WWW-Authenticate', async () => {
      const r = await t.call('GET', '/v1/models');
      expect(r.status).toBe(401);
      expect(r.headers.get('content-type')).toContain('application/problem+json');
      expect(r.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(r.body.code).toBe('TOKEN_MISSING');
    });

    test('a token signed by another key, an expired one, or one for another audience is 401', async () => {
      const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
      const foreign = await t.token('mallory', ['registry:read'], { key: privateKey });
      expect((await t.call('GET', '/v1/models', { token: foreign })).body.code).toBe('TOKEN_INVALID');
      const expired = await t.token('alice', ['registry:read'], { expiresIn: '-5m' });
      const r = await t.call('GET', '/v1/models', { token: expired });
      expect(r.status).toBe(401);
      expect(r.body.code).toBe('TOKEN_EXPIRED');
      const otherAud = await t.token('alice', ['registry:read'], { audience: 'someone-else' });
      expect((await t.call('GET', '/v1/models', { token: otherAud })).status).toBe(401);
    });

    test('an unsigned alg=none token is refused', async () => {
      const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const none = `${enc({ alg: 'none', typ: 'JWT' })}.${enc({ sub: 'x', scope: 'registry:read', iss: 'https://idp.test', aud: 'model-ledger-test', exp: 9e9 })}.`;
      expect((await t.call('GET', '/v1/models', { token: none })).status).toBe(401);
    });

    test('403 names the missing scope and nothing is written', async () => {
      const r = await t.call('POST', '/v1/models', { token: reader, body: { name: 'churn' } });
      expect(r.status).toBe(403);
      expect(r.body).toMatchObject({ code: 'MISSING_SCOPE', requiredScope: 'registry:write' });
      expect(await t.store.headPosition()).toBe(0);
    });

    test('promotion needs registry:promote even for a registry:write holder', async () => {
      await model();
      await registered('1.0.0', 1);
      await approved('1.0.0');
      const r = await t.call('POST', '/v1/models/churn/versions/1.0.0/transitions', { token: alice, body: { stage: 'Production' } });
      expect(r.status).toBe(403);
      expect(r.body).toMatchObject({ code: 'MISSING_SCOPE', requiredScope: 'registry:promote' });
      const staged = await t.call('POST', '/v1/models/churn/versions/1.0.0/transitions', { token: alice, body: { stage: 'Staging' } });
      expect(staged.status).toBe(200);
      expect(staged.body.stage).toBe('Staging');
    });

    test('a model-qualified scope covers matching models only', async () => {
      await model('fraud-eu');
      await model('churn');
      const scoped = await t.token('carol', ['registry:read', 'registry:promote:fraud-*']);
      for (const name of ['fraud-eu', 'churn']) {
        await registered('1.0.0', name === 'churn' ? 1 : 2, name);
        await approved('1.0.0', name);
      }
      const ok = await t.call('POST', '/v1/models/fraud-eu/versions/1.0.0/transitions', { token: scoped, body: { stage: 'Production' } });
      expect(ok.status).toBe(200);
      const no = await t.call('POST', '/v1/models/churn/versions/1.0.0/transitions', { token: scoped, body: { stage: 'Production' } });
      expect(no.status).toBe(403);
    });
  });

  describe('the walkthrough: create, register, approve, promote, resolve', () => {
    test('events carry the envelope and the read model follows', async () => {
      await model();
      const reg = await t.call('POST', '/v1/models/churn/versions', {
        token: alice,
        body: versionBody('1.0.0', 1),
        headers: { 'x-correlation-id': 'corr-1', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
      });
      expect(reg.status).toBe(201);
      expect(reg.body).toMatchObject({ name: 'churn', version: '1.0.0', stage: 'None', approvalStatus: 'PendingManualApproval', registeredBy: 'alice' });
      expect(reg.headers.get('location')).toBe('/v1/models/churn/versions/1.0.0');

      const queue = await t.call('GET', '/v1/approvals?status=PendingManualApproval', { token: reader });
      expect(queue.body.items.map((i: any) => `${i.name}@${i.version}`)).toEqual(['churn@1.0.0']);

      await approved('1.0.0');
      expect((await t.call('GET', '/v1/approvals', { token: reader })).body.items).toEqual([]);
      const prod = await promoted('1.0.0');
      expect(prod).toMatchObject({ stage: 'Production', approvalStatus: 'Approved', aliases: ['prod'] });

      const resolved = await t.call('GET', `/v1/resolve?uri=${encodeURIComponent('models:/churn@prod')}`, { token: reader });
      expect(resolved.status).toBe(200);
      expect(resolved.body).toMatchObject({ version: '1.0.0', artifact: { digest: versionBody('1.0.0', 1).artifact.digest } });
      const byVersion = await t.call('GET', `/v1/resolve?uri=${encodeURIComponent('models:/churn/1.0.0')}`, { token: reader });
      expect(byVersion.body.version).toBe('1.0.0');

      const events = await t.store.readStream('model-churn');
      expect(events.map((e) => e.type)).toEqual(['ModelCreated', 'VersionRegistered', 'VersionApproved', 'VersionPromoted', 'AliasSet']);
      expect(events.map((e) => e.metadata.actor.sub)).toEqual(['alice', 'alice', 'bob', 'rm', 'rm']);
      const registeredEvent = events[1];
      expect(registeredEvent.metadata).toMatchObject({ correlationId: 'corr-1', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
      expect(registeredEvent.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(events[3].metadata.reason).toBe('release');
      expect(resolved.body.position).toBeGreaterThan(0);

      const m = await t.call('GET', '/v1/models/churn', { token: reader });
      expect(m.body).toMatchObject({ name: 'churn', versionCount: 1, aliases: { prod: '1.0.0' }, latestVersions: { Production: '1.0.0' } });
    });

    test('promoting archives the incumbent and moves @prod in one append; rollback flips back', async () => {
      await model();
      for (const [v, n] of [['1.0.0', 1], ['1.1.0', 2]] as const) {
        await registered(v, n);
        await approved(v);
      }
      await promoted('1.0.0');
      const setChampion = await t.call('PUT', '/v1/models/churn/aliases/champion', { token: rm, body: { version: '1.0.0' } });
      expect(setChampion.status).toBe(200);
      const before = await t.store.headPosition();
      await promoted('1.1.0');
      const appended = await t.store.readAll({ fromPosition: before });
      expect(appended.map((e) => [e.type, (e.data as any).alias ?? (e.data as any).version])).toEqual([
        ['AliasRemoved', 'champion'],
        ['VersionArchived', '1.0.0'],
        ['VersionPromoted', '1.1.0'],
        ['AliasSet', 'prod'],
      ]);
      expect(new Set(appended.map((e) => e.metadata.correlationId)).size).toBe(1);
      expect((await t.call('GET', '/v1/models/churn/versions/1.0.0', { token: reader })).body).toMatchObject({ stage: 'Archived', aliases: [] });

      const rb = await t.call('POST', '/v1/models/churn/rollback', { token: rm, body: { toVersion: '1.0.0', reason: 'latency regression' } });
      expect(rb.status).toBe(200);
      expect(rb.body).toMatchObject({ version: '1.0.0', stage: 'Production', aliases: ['prod'] });
      const r = await t.call('GET', '/v1/models/churn/aliases/prod', { token: reader });
      expect(r.body.version).toBe('1.0.0');
      expect((await t.call('GET', '/v1/models/churn/versions/1.1.0', { token: reader })).body.stage).toBe('Archived');
      const last = await t.store.readStream('model-churn', { fromRevision: 0 });
      expect(last.filter((e) => e.type === 'RolledBack').map((e) => [e.data, e.metadata.reason])).toEqual([
        [{ fromVersion: '1.1.0', toVersion: '1.0.0' }, 'latency regression'],
      ]);
    });
  });

  describe('rules', () => {
    test('promotion without approval is refused with every unmet requirement listed', async () => {
      await model();
      await registered('1.0.0', 1);
      const r = await t.call('POST', '/v1/models/churn/versions/1.0.0/transitions', { token: rm, body: { stage: 'Production' } });
      expect(r.status).toBe(422);
      expect(r.body.code).toBe('PROMOTION_REQUIREMENTS_UNMET');
      expect(r.body.unmet.map((u: any) => u.code)).toEqual(['APPROVAL_REQUIRED']);
      expect(r.body.errors[0]).toMatchObject({ rule: 'APPROVAL_REQUIRED' });
      const viaAlias = await t.call('PUT', '/v1/models/churn/aliases/prod', { token: rm, body: { version: '1.0.0' } });
      expect(viaAlias.status).toBe(422);
    });

    test('the registrant cannot approve their own version; a rejection is final', async () => {
      await model();
      await registered('1.0.0', 1);
      const self = await t.call('POST', '/v1/models/churn/versions/1.0.0/approvals', { token: admin, body: { decision: 'approve' } });
      expect(self.status).toBe(201); // admin did not register it
      const own = await t.token('alice', ['registry:read', 'registry:write', 'approvals:write']);
      await registered('1.1.0', 2);
      const selfApprove = await t.call('POST', '/v1/models/churn/versions/1.1.0/approvals', { token: own, body: { decision: 'approve' } });
      expect(selfApprove.status).toBe(403);
      expect(selfApprove.body.code).toBe('SELF_APPROVAL_FORBIDDEN');
      const rej = await t.call('POST', '/v1/models/churn/versions/1.1.0/approvals', { token: bob, body: { decision: 'reject', comment: 'bias' } });
      expect(rej.body.approvalStatus).toBe('Rejected');
      const again = await t.call('POST', '/v1/models/churn/versions/1.1.0/approvals', { token: admin, body: { decision: 'approve' } });
      expect(again.body.code).toBe('VERSION_REJECTED');
      const promote = await t.call('POST', '/v1/models/churn/versions/1.1.0/transitions', { token: rm, body: { stage: 'Production' } });
      expect(promote.status).toBe(409);
      expect(promote.body.code).toBe('VERSION_REJECTED');
    });

    test('duplicate version numbers and re-registered digests are refused and say which version', async () => {
      await model();
      await registered('1.0.0', 1);
      const dupVersion = await t.call('POST', '/v1/models/churn/versions', { token: alice, body: versionBody('1.0.0', 9) });
      expect(dupVersion.status).toBe(409);
      expect(dupVersion.body.code).toBe('VERSION_EXISTS');
      const dupDigest = await t.call('POST', '/v1/models/churn/versions', { token: alice, body: versionBody('1.0.1', 1) });
      expect(dupDigest.status).toBe(409);
      expect(dupDigest.body).toMatchObject({ code: 'DUPLICATE_ARTIFACT', existingVersion: '1.0.0' });
      const onPurpose = await t.call('POST', '/v1/models/churn/versions', { token: alice, body: versionBody('1.0.1', 1, { allowDuplicateArtifact: true }) });
      expect(onPurpose.status).toBe(201);
      expect(onPurpose.body.duplicateOf).toBe('1.0.0');
    });

    test('an alias cannot point at an archived or missing version, and @prod cannot be deleted alone', async () => {
      await model();
      await registered('1.0.0', 1);
      await registered('1.1.0', 2);
      const arch = await t.call('POST', '/v1/models/churn/versions/1.0.0/transitions', { token: rm, body: { stage: 'Archived' } });
      expect(arch.body.stage).toBe('Archived');
      expect((await t.call('PUT', '/v1/models/churn/aliases/canary', { token: alice, body: { version: '1.0.0' } })).body.code).toBe('VERSION_ARCHIVED');
      expect((await t.call('PUT', '/v1/models/churn/aliases/canary', { token: alice, body: { version: '9.9.9' } })).status).toBe(404);
      const canary = await t.call('PUT', '/v1/models/churn/aliases/canary', { token: alice, body: { version: '1.1.0' } });
      expect(canary.body.aliases).toEqual(['canary']);
      expect((await t.call('DELETE', '/v1/models/churn/aliases/canary?reason=done', { token: alice })).status).toBe(200);
      expect((await t.call('GET', '/v1/models/churn/aliases/canary', { token: reader })).body.code).toBe('ALIAS_NOT_FOUND');
      await approved('1.1.0');
      await promoted('1.1.0');
      const del = await t.call('DELETE', '/v1/models/churn/aliases/prod', { token: rm });
      expect(del.status).toBe(409);
      expect(del.body.code).toBe('PROD_ALIAS_FOLLOWS_STAGE');
      const champion = await t.call('PUT', '/v1/models/churn/aliases/champion', { token: alice, body: { version: '1.1.0' } });
      expect(champion.status).toBe(403);
    });
  });

  describe('bad input', () => {
    test('unknown fields, bad patterns and bad nested values name the field and the rule', async () => {
      const unknown = await t.call('POST', '/v1/models', { token: alice, body: { name: 'churn', colour: 'red' } });
      expect(unknown.status).toBe(400);
      expect(unknown.headers.get('content-type')).toContain('application/problem+json');
      expect(unknown.body.errors).toEqual([expect.objectContaining({ field: 'colour', rule: 'unknownField' })]);
      const badName = await t.call('POST', '/v1/models', { token: alice, body: { name: 'Churn Model' } });
      expect(badName.body.errors).toEqual([expect.objectContaining({ field: 'name', rule: 'matches' })]);
      await model();
      const bad = versionBody('1.0', 1) as any;
      bad.artifact.digest = 'md5:abc';
      bad.lineage.gitCommit = 'abc';
      bad.metrics = { auc: 'high' };
      const r = await t.call('POST', '/v1/models/churn/versions', { token: alice, body: bad });
      expect(r.status).toBe(400);
      const fields = r.body.errors.map((e: any) => `${e.field}:${e.rule}`).sort();
      expect(fields).toEqual(['artifact.digest:matches', 'lineage.gitCommit:matches', 'metrics:isNumberRecord', 'version:matches']);
      expect(await t.store.headPosition()).toBe(1);
    });

    test('malformed JSON is 400, a body over the limit is 413, both problem+json', async () => {
      const malformed = await t.call('POST', '/v1/models', { token: alice, body: '{"name": ' });
      expect(malformed.status).toBe(400);
      expect(malformed.headers.get('content-type')).toContain('application/problem+json');
      const big = await t.call('POST', '/v1/models', { token: alice, body: { name: 'churn', description: 'x'.repeat(70_000) } });
      expect(big.status).toBe(413);
      expect(big.body.code).toBe('BODY_TOO_LARGE');
    });

    test('unknown model and version are 404 with distinct codes; a bad resolve URI is 422', async () => {
      expect((await t.call('GET', '/v1/models/nope', { token: reader })).body.code).toBe('MODEL_NOT_FOUND');
      await model();
      expect((await t.call('GET', '/v1/models/churn/versions/3.0.0', { token: reader })).body.code).toBe('VERSION_NOT_FOUND');
      const r = await t.call('GET', '/v1/resolve?uri=churn', { token: reader });
      expect(r.status).toBe(422);
      expect(r.body.errors[0].field).toBe('uri');
      const missing = await t.call('GET', '/v1/resolve', { token: reader });
      expect(missing.status).toBe(422);
      expect(missing.body.code).toBe('INVALID_MODEL_URI');
      expect((await t.call('GET', `/v1/resolve?uri=${encodeURIComponent('models:/churn@nope')}`, { token: reader })).body.code).toBe('MODEL_URI_NOT_FOUND');
    });
  });

  describe('idempotency, concurrency, listing', () => {
    test('the same Idempotency-Key and body give the same result and one event; another body is refused', async () => {
      const headers = { 'idempotency-key': 'k-1' };
      const first = await t.call('POST', '/v1/models', { token: alice, body: { name: 'churn' }, headers });
      const second = await t.call('POST', '/v1/models', { token: alice, body: { name: 'churn' }, headers });
      expect(first.status).toBe(201);
      expect(second.status).toBe(201);
      expect(second.body).toEqual(first.body);
      expect(second.headers.get('idempotent-replayed')).toBe('true');
      expect(await t.store.readStream('model-churn')).toHaveLength(1);
      const other = await t.call('POST', '/v1/models', { token: alice, body: { name: 'churn2' }, headers });
      expect(other.status).toBe(422);
      expect(other.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    });

    test('50 concurrent promotions of different versions end with exactly one Production version and a consistent history', async () => {
      await model();
      const versions = Array.from({ length: 50 }, (_, i) => `1.${i}.0`);
      for (const [i, v] of versions.entries()) {
        await registered(v, i + 1);
        await approved(v);
      }
      const results = await Promise.all(
        versions.map((v) => t.call('POST', `/v1/models/churn/versions/${v}/transitions`, { token: rm, body: { stage: 'Production' } })),
      );
      expect(results.filter((r) => r.status >= 500)).toEqual([]);
      expect(results.every((r) => r.status === 200 || r.status === 409)).toBe(true);
      const list = await t.call('GET', '/v1/models/churn/versions?stage=Production', { token: reader });
      expect(list.body.items).toHaveLength(1);
      // Replay the history: at every point at most one version is in Production, and every
      // promotion after the first archived its predecessor in the same append (same correlation id).
      const events = await t.store.readStream('model-churn');
      const inProd = new Set<string>();
      let promotions = 0;
      for (const e of events) {
        const d = e.data as { version: string };
        if (e.type === 'VersionPromoted') {
          if (promotions > 0) {
            const archived = events.find((a) => a.type === 'VersionArchived' && a.metadata.correlationId === e.metadata.correlationId);
            expect(archived).toBeDefined();
          }
          inProd.add(d.version);
          promotions++;
        }
        if (e.type === 'VersionArchived') inProd.delete(d.version);
        expect(inProd.size).toBeLessThanOrEqual(1);
      }
      expect(promotions).toBe(results.filter((r) => r.status === 200).length);
      expect([...inProd]).toEqual([list.body.items[0].version]);
      expect((await t.call('GET', '/v1/models/churn/aliases/prod', { token: reader })).body.version).toBe(list.body.items[0].version);
    });

    test('models list filters by prefix, tag and owner and pages with a cursor', async () => {
      for (const name of ['a-1', 'a-2', 'a-3', 'b-1']) await model(name);
      const page1 = await t.call('GET', '/v1/models?prefix=a-&limit=2', { token: reader });
      expect(page1.body.items.map((m: any) => m.name)).toEqual(['a-1', 'a-2']);
      const page2 = await t.call('GET', `/v1/models?prefix=a-&limit=2&cursor=${page1.body.nextCursor}`, { token: reader });
      expect(page2.body.items.map((m: any) => m.name)).toEqual(['a-3']);
      expect(page2.body.nextCursor).toBeNull();
      expect((await t.call('GET', '/v1/models?tag=domain=marketing', { token: reader })).body.items).toHaveLength(4);
      expect((await t.call('GET', '/v1/models?owner=nobody', { token: reader })).body.items).toHaveLength(0);
    });

    test('health is public; readiness reports the store and projection lag', async () => {
      expect((await t.call('GET', '/health/live')).body).toEqual({ status: 'ok' });
      const ready = await t.call('GET', '/health/ready');
      expect(ready.status).toBe(200);
      expect(ready.body.checks.projections).toMatchObject({ status: 'ok', lag: 0 });
      const docs = await t.call('GET', '/docs-json');
      expect(docs.status).toBe(200);
      expect(Object.keys(docs.body.paths)).toEqual(expect.arrayContaining(['/v1/models', '/v1/resolve', '/v1/models/{name}/rollback']));
    });
  });
}
