import { deflateRawSync } from 'node:zlib';
import { inspectBytes } from '../../libs/artifact-inspection/src/index.ts';
import { ALL_SCOPES, startTestApp, type TestApp } from '../support/app.js';

/** Attacks on the inspector (hostile artifacts) and on the inspection facts sent to the server. */
describe('hostile artifacts fail closed, without exhausting the inspector', () => {
  it('a zip bomb: a data.pkl that inflates far beyond its declared size is refused, and the artifact is unsafe', () => {
    const bomb = deflateRawSync(Buffer.alloc(80 * 1024 * 1024)); // 80 MiB of zeros, ~80 KiB deflated
    const name = Buffer.from('archive/data.pkl');
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0);
    lh.writeUInt16LE(8, 8);
    lh.writeUInt32LE(bomb.length, 18);
    lh.writeUInt32LE(10, 22); // lies: 10 bytes
    lh.writeUInt16LE(name.length, 26);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0);
    ch.writeUInt16LE(8, 10);
    ch.writeUInt32LE(bomb.length, 20);
    ch.writeUInt32LE(10, 24);
    ch.writeUInt16LE(name.length, 28);
    const eocd = Buffer.alloc(22);
    eocd.writeUInt32LE(0x06054b50, 0);
    eocd.writeUInt16LE(1, 8);
    eocd.writeUInt16LE(1, 10);
    eocd.writeUInt32LE(46 + name.length, 12);
    eocd.writeUInt32LE(30 + name.length + bomb.length, 16);
    const zip = Buffer.concat([lh, name, bomb, ch, name, eocd]);
    const r = inspectBytes(zip);
    expect(r).toMatchObject({ format: 'pytorch', safe: false, valid: false });
    expect(r.errors[0]).toMatch(/archive\/data\.pkl/);
  });

  it('a STACK_GLOBAL fed from a memo slot that was never set is unsafe, not silently skipped', () => {
    const p = Buffer.from([0x80, 4, 0x68, 7, 0x68, 8, 0x93, 0x29, 0x52, 0x2e]); // BINGET 7, BINGET 8, STACK_GLOBAL
    const r = inspectBytes(p);
    expect(r.safe).toBe(false);
    expect(r.errors[0]).toMatch(/STACK_GLOBAL at byte 6 imports a name that is not a plain string/);
  });

  it('a GGUF claiming 2^40 metadata entries is refused before any allocation', () => {
    const h = Buffer.alloc(24);
    h.write('GGUF', 0, 'latin1');
    h.writeUInt32LE(3, 4);
    h.writeBigUInt64LE(1n, 8);
    h.writeBigUInt64LE(1n << 40n, 16);
    expect(inspectBytes(h)).toMatchObject({ format: 'gguf', valid: false, errors: [expect.stringMatching(/implausibly large/)] });
  });

  it('a safetensors header length near 2^64 is refused, not read', () => {
    const h = Buffer.concat([Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]), Buffer.from('{}')]);
    expect(inspectBytes(h).valid).toBe(false);
  });
});

describe('inspection facts sent to the server', () => {
  let t: TestApp;
  let token: string;
  beforeAll(async () => {
    t = await startTestApp();
    token = await t.token('alice', ALL_SCOPES);
    await t.call('POST', '/v1/models', { token, body: { name: 'm' } });
  });
  afterAll(() => t.close());
  const body = (inspection: unknown, n = 1) => ({
    version: `1.0.${n}`,
    artifact: { uri: 's3://m/x.pkl', digest: `sha256:${String(n).padStart(64, '0')}`, format: 'pickle' },
    inspection,
  });
  const OK = { format: 'pickle', valid: true, safe: true, inspector: 'x/1' };

  it.each([
    ['an unknown format', { ...OK, format: 'exe' }, 'inspection.format'],
    ['a non-boolean safe', { ...OK, safe: 'yes' }, 'inspection.safe'],
    ['201 unsafe globals', { ...OK, unsafeGlobals: Array.from({ length: 201 }, (_, i) => `m.f${i}`) }, 'inspection.unsafeGlobals'],
    ['nested facts', { ...OK, facts: { a: { b: 1 } } }, 'inspection.facts'],
    ['no inspector', { format: 'pickle', valid: true, safe: true }, 'inspection.inspector'],
  ])('refuses %s with 400 naming the field, and writes nothing', async (_what, inspection, field) => {
    const res = await t.call('POST', '/v1/models/m/versions', { token, body: body(inspection) });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: any) => e.field)).toContain(field);
    expect((await t.call('GET', '/v1/models/m/versions/1.0.1', { token })).status).toBe(404);
  });

  it('refuses an inspection whose format contradicts artifact.format', async () => {
    const res = await t.call('POST', '/v1/models/m/versions', { token, body: body({ ...OK, format: 'onnx' }, 2) });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ code: 'INSPECTION_FORMAT_MISMATCH' });
  });

  it('a forged safe: true next to an offending global is still unsafe at promotion', async () => {
    expect((await t.call('POST', '/v1/models/m/versions', { token, body: body({ ...OK, unsafeGlobals: ['posix.system'] }, 3) })).status).toBe(201);
    const bob = await t.token('bob', ALL_SCOPES);
    expect((await t.call('POST', '/v1/models/m/versions/1.0.3/approvals', { token: bob, body: { decision: 'approve' } })).status).toBe(201);
    const res = await t.call('POST', '/v1/models/m/versions/1.0.3/transitions', { token, body: { stage: 'Production' } });
    expect(res.status).toBe(422);
    expect(res.body.unmet.map((u: any) => u.code)).toEqual(['ARTIFACT_UNSAFE']);
    const alias = await t.call('PUT', '/v1/models/m/aliases/champion', { token, body: { version: '1.0.3' } });
    expect(alias.status).toBe(422);
  });
});

describe('under the shipped policy (POLICY_FILE=deploy/policy.default.yaml)', () => {
  let t: TestApp;
  afterAll(() => t?.close());

  it('an approved, fully gated unsafe pickle is refused for Production and every protected alias, for the unsafe artifact alone', async () => {
    t = await startTestApp('sqlite', { POLICY_FILE: 'deploy/policy.default.yaml' });
    const alice = await t.token('alice', ALL_SCOPES);
    const bob = await t.token('bob', ALL_SCOPES);
    await t.call('POST', '/v1/models', { token: alice, body: { name: 'churn' } });
    const reg = await t.call('POST', '/v1/models/churn/versions', {
      token: alice,
      body: {
        version: '1.0.0',
        artifact: { uri: 's3://m/model.pkl', digest: `sha256:${'1'.repeat(64)}`, format: 'pickle' },
        inspection: { format: 'pickle', valid: true, safe: false, unsafeGlobals: ['posix.system'], inspector: 'model-ledger-inspect/1' },
        lineage: { runId: 'r', gitCommit: 'a'.repeat(40), datasetHash: `sha256:${'2'.repeat(64)}`, image: { ref: 'reg/serve:1', digest: `sha256:${'3'.repeat(64)}` } },
      },
    });
    expect(reg.status).toBe(201);
    expect((await t.call('POST', '/v1/models/churn/versions/1.0.0/approvals', { token: bob, body: { decision: 'approve' } })).status).toBe(201);
    const readiness = await t.call('GET', '/v1/models/churn/versions/1.0.0/readiness', { token: alice });
    expect(readiness.body.requirements.filter((r: any) => !r.met).map((r: any) => r.code)).toEqual(['ARTIFACT_UNSAFE']);
    for (const attempt of [
      () => t.call('POST', '/v1/models/churn/versions/1.0.0/transitions', { token: alice, body: { stage: 'Production' } }),
      () => t.call('PUT', '/v1/models/churn/aliases/prod', { token: alice, body: { version: '1.0.0' } }),
      () => t.call('PUT', '/v1/models/churn/aliases/champion', { token: alice, body: { version: '1.0.0' } }),
    ]) {
      const res = await attempt();
      expect(res.status).toBe(422);
      expect(res.body.unmet.map((u: any) => u.code)).toEqual(['ARTIFACT_UNSAFE']);
    }
    expect((await t.call('GET', '/v1/models/churn/versions/1.0.0', { token: alice })).body).toMatchObject({ stage: 'None', aliases: [] });
  });
});
