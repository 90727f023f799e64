import { DomainError } from '../errors.js';
import { promotionChecklist } from './artifact-safety.js';
import type { RegisterVersion } from './commands.js';
import { decide, fold } from './decider.js';
import type { ModelEvent, RecordedModelEvent } from './events.js';
import { corePolicy, governancePolicy, parsePolicyDocument, type PromotionPolicy } from './policy.js';
import { initialModelState, type ArtifactInspection, type ModelState } from './types.js';

const D = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;
const ALL = ['registry:write', 'registry:promote', 'approvals:write', 'gates:write'];
let rev = -1;
const apply = (s: ModelState, actor: string, events: ModelEvent[]) =>
  fold(s, events.map((e) => ({ ...e, recordedAt: '2026-01-01T00:00:00Z', actor: { sub: actor, scopes: [] }, revision: ++rev }) as RecordedModelEvent));
const run = (s: ModelState, actor: string, cmd: Parameters<typeof decide>[0], policy: PromotionPolicy) =>
  apply(s, actor, decide(cmd, s, { actor: { sub: actor, scopes: ALL }, policy }));
function refusal(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (e) {
    if (e instanceof DomainError) return e;
    throw e;
  }
  throw new Error('expected a DomainError');
}

const UNSAFE: ArtifactInspection = { format: 'pickle', valid: true, safe: false, unsafeGlobals: ['posix.system'], inspector: 'model-ledger-inspect/1' };
const ONNX: ArtifactInspection = { format: 'onnx', valid: true, safe: true, facts: { irVersion: 9 }, inspector: 'model-ledger-inspect/1' };
const LINEAGE = { runId: 'r', gitCommit: 'a'.repeat(40), datasetHash: D(99), image: { ref: 'reg/x:1', digest: D(98) } };

function registered(policy: PromotionPolicy, inspection: ArtifactInspection | undefined, n = 1, name = 'churn'): ModelState {
  let s = run(initialModelState(name), 'alice', { type: 'CreateModel', name }, policy);
  const cmd: RegisterVersion = {
    type: 'RegisterVersion',
    version: '1.0.0',
    artifact: { uri: 's3://m/x', digest: D(n), format: inspection?.format ?? 'pickle' },
    lineage: LINEAGE,
    ...(inspection ? { inspection } : {}),
  };
  s = run(s, 'alice', cmd, policy);
  return run(s, 'bob', { type: 'DecideApproval', version: '1.0.0', decision: 'approve' }, policy);
}

const policies: [string, PromotionPolicy][] = [
  ['the built-in policy', corePolicy()],
  ['a policy that allows self-approval and requires nothing', governancePolicy(parsePolicyDocument({ default: { allowSelfApproval: true, gates: { production: [] } } }), 'lax')],
];

describe('an artifact inspected as unsafe never reaches Production or a protected alias', () => {
  it.each(policies)('under %s', (_name, policy) => {
    const s = registered(policy, UNSAFE);
    for (const cmd of [
      { type: 'TransitionStage', version: '1.0.0', stage: 'Production' } as const,
      { type: 'SetAlias', alias: 'prod', version: '1.0.0' } as const,
      { type: 'SetAlias', alias: 'champion', version: '1.0.0' } as const,
    ]) {
      const e = refusal(() => decide(cmd, s, { actor: { sub: 'rm', scopes: ALL }, policy }));
      expect(e.code).toBe('PROMOTION_REQUIREMENTS_UNMET');
      expect(e.message).toMatch(/runs code on load: imports posix.system/);
      expect((e.extra.unmet as { code: string }[]).map((r) => r.code)).toContain('ARTIFACT_UNSAFE');
    }
    // Staging and an unprotected alias stay possible: the artifact can still be studied.
    expect(() => decide({ type: 'TransitionStage', version: '1.0.0', stage: 'Staging' }, s, { actor: { sub: 'rm', scopes: ALL }, policy })).not.toThrow();
    expect(() => decide({ type: 'SetAlias', alias: 'quarantine', version: '1.0.0' }, s, { actor: { sub: 'rm', scopes: ALL }, policy })).not.toThrow();
  });

  it('unsafeGlobals alone make it unsafe, even when `safe` claims otherwise', () => {
    const s = registered(corePolicy(), { ...UNSAFE, safe: true });
    expect(refusal(() => decide({ type: 'TransitionStage', version: '1.0.0', stage: 'Production' }, s, { actor: { sub: 'rm', scopes: ALL }, policy: corePolicy() })).code).toBe(
      'PROMOTION_REQUIREMENTS_UNMET',
    );
  });

  it('a version never inspected is not unsafe: the built-in policy promotes it, and the checklist has no artifact item', () => {
    const s = registered(corePolicy(), undefined);
    const checklist = promotionChecklist(corePolicy(), s, s.versions['1.0.0'], { kind: 'stage', stage: 'Production' });
    expect(checklist.map((r) => r.code)).toEqual(['APPROVAL_REQUIRED']);
    expect(decide({ type: 'TransitionStage', version: '1.0.0', stage: 'Production' }, s, { actor: { sub: 'rm', scopes: ALL }, policy: corePolicy() }).map((e) => e.type)).toContain(
      'VersionPromoted',
    );
  });

  it('a safe inspected version shows its format and the inspector in readiness', () => {
    const s = registered(corePolicy(), ONNX);
    const item = promotionChecklist(corePolicy(), s, s.versions['1.0.0'], { kind: 'stage', stage: 'Production' }).find((r) => r.code === 'ARTIFACT_SAFE');
    expect(item).toMatchObject({ met: true, format: 'onnx', message: 'artifact (onnx) inspected by model-ledger-inspect/1: nothing that runs code on load' });
  });

  it('the inspection is recorded on the registration event, and must agree with artifact.format', () => {
    const s = run(initialModelState('m'), 'alice', { type: 'CreateModel', name: 'm' }, corePolicy());
    const [e] = decide({ type: 'RegisterVersion', version: '1.0.0', artifact: { uri: 'x', digest: D(5), format: 'onnx' }, inspection: ONNX }, s, { actor: { sub: 'alice', scopes: ALL }, policy: corePolicy() });
    expect(e).toMatchObject({ type: 'VersionRegistered', data: { inspection: ONNX } });
    const mismatch = refusal(() =>
      decide({ type: 'RegisterVersion', version: '1.0.0', artifact: { uri: 'x', digest: D(5), format: 'onnx' }, inspection: UNSAFE }, s, { actor: { sub: 'alice', scopes: ALL }, policy: corePolicy() }),
    );
    expect(mismatch.code).toBe('INSPECTION_FORMAT_MISMATCH');
  });
});

describe('the artifact-format gate', () => {
  const gated = governancePolicy(
    parsePolicyDocument({ default: { gates: { production: [{ name: 'artifact-format', formats: ['onnx', 'safetensors'] }], staging: ['artifact-format'] } } }),
    'formats',
  );
  const gate = (s: ModelState, stage: 'Production' | 'Staging' = 'Production') =>
    promotionChecklist(gated, s, s.versions['1.0.0'], { kind: 'stage', stage }).find((r) => r.gate === 'artifact-format')!;

  it('passes an inspected, allowed format', () => {
    expect(gate(registered(gated, ONNX))).toMatchObject({ met: true, format: 'onnx', inspected: true, message: "gate 'artifact-format': format onnx inspected by model-ledger-inspect/1 (allowed: onnx, safetensors)" });
  });

  it('fails a format the stage does not allow, a never-inspected registration, and an invalid one', () => {
    expect(gate(registered(gated, { ...ONNX, format: 'gguf' }))).toMatchObject({ met: false, message: expect.stringMatching(/format gguf is not allowed here \(allowed: onnx, safetensors\)/) });
    expect(gate(registered(gated, undefined))).toMatchObject({ met: false, inspected: false, message: expect.stringMatching(/never inspected/) });
    expect(gate(registered(gated, { ...ONNX, format: 'safetensors', valid: false, errors: ['overlap'] }))).toMatchObject({ met: false, message: expect.stringMatching(/failed structure checks: overlap/) });
  });

  it('without formats, any inspected safe format passes (Staging here)', () => {
    expect(gate(registered(gated, { ...ONNX, format: 'gguf' }), 'Staging')).toMatchObject({ met: true });
    expect(gate(registered(gated, UNSAFE), 'Staging')).toMatchObject({ met: false, message: expect.stringMatching(/posix.system/) });
  });

  it('policy validation names a bad format list', () => {
    expect(() => parsePolicyDocument({ default: { gates: { production: [{ name: 'artifact-format', formats: ['onnx', 'exe'] }] } } })).toThrow(/gates.production\[0\].formats: must be a non-empty list of artifact formats/);
    expect(() => parsePolicyDocument({ default: { gates: { production: [{ name: 'fairness', formats: ['onnx'] }] } } })).toThrow(/formats applies to the artifact-format gate only/);
  });
});
