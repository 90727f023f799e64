import { DomainError } from '../errors.js';
import { decide, fold } from './decider.js';
import type { RecordedModelEvent, ModelEvent } from './events.js';
import { governancePolicy, parsePolicyDocument, rulesFor, type PromotionPolicy } from './policy.js';
import { initialModelState, type ModelState } from './types.js';

const D = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;
const doc = parsePolicyDocument({
  default: { requiredApprovals: 1, gates: { production: ['lineage-complete', 'image-pinned'] } },
  overrides: [
    {
      match: 'fraud-*',
      requiredApprovals: 2,
      gates: {
        production: ['model-card', { name: 'offline-quality', metric: 'auc', tolerance: 0.01 }, { name: 'fairness', max: { subgroup_gap: 0.05 } }],
      },
    },
  ],
});
const policy = governancePolicy(doc, 'policy@test');

let rev = -1;
function apply(state: ModelState, actor: string, events: ModelEvent[]): ModelState {
  return fold(state, events.map((e) => ({ ...e, recordedAt: '2026-01-01T00:00:00Z', actor: { sub: actor, scopes: [] }, revision: ++rev }) as RecordedModelEvent));
}
function run(state: ModelState, actor: string, scopes: string[], cmd: Parameters<typeof decide>[0], p: PromotionPolicy = policy): ModelState {
  return apply(state, actor, decide(cmd, state, { actor: { sub: actor, scopes }, policy: p }));
}
function refusal(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (e) {
    if (e instanceof DomainError) return e;
    throw e;
  }
  throw new Error('expected a DomainError');
}
const ALL = ['registry:write', 'registry:promote', 'approvals:write', 'gates:write'];

function model(name: string): ModelState {
  return run(initialModelState(name), 'alice', ALL, { type: 'CreateModel', name });
}
const version = (v: string, n: number, extra: Record<string, unknown> = {}) => ({
  type: 'RegisterVersion' as const,
  version: v,
  artifact: { uri: 's3://x', digest: D(n), format: 'onnx' as const },
  metrics: { auc: 0.9 },
  lineage: { runId: 'r', gitCommit: 'a'.repeat(40), datasetHash: D(99), image: { ref: 'serving/x:1', digest: D(98) } },
  ...extra,
});

describe('policy document', () => {
  test('overrides are chosen by name pattern, first match wins, unset fields fall back to the default', () => {
    expect(rulesFor(doc, 'churn').requiredApprovals).toBe(1);
    expect(rulesFor(doc, 'fraud-eu')).toMatchObject({ requiredApprovals: 2, allowSelfApproval: false, protectedAliases: ['prod', 'champion'], override: 'fraud-*' });
    expect(rulesFor(doc, 'fraud-eu').gates.production.map((g) => g.name)).toEqual(['model-card', 'offline-quality', 'fairness']);
  });

  test('a pattern with many stars matches like any other (linear matcher, no regex)', () => {
    const many = parsePolicyDocument({ overrides: [{ match: '*-*-*-*-*-*-*-*-x', requiredApprovals: 3 }] });
    expect(rulesFor(many, `a${'-'.repeat(127)}`).requiredApprovals).toBe(1);
    expect(rulesFor(many, 'a-b-c-d-e-f-g-h-x')).toMatchObject({ requiredApprovals: 3, override: '*-*-*-*-*-*-*-*-x' });
  });

  test('an invalid document is refused with every problem and its path', () => {
    const e = refusal(() =>
      parsePolicyDocument({ default: { requiredApprovals: 0, gates: { prod: [] } }, overrides: [{ match: 'Fraud', gates: { production: [{ name: 'offline-quality' }] } }], extra: 1 }),
    );
    expect(e.code).toBe('INVALID_POLICY');
    expect(e.details.map((d) => d.field).sort()).toEqual(
      ['default.gates.prod', 'default.requiredApprovals', 'extra', 'overrides[0].gates.production[0].metric', 'overrides[0].match'].sort(),
    );
  });
});

describe('checklist', () => {
  test('lists every unmet requirement in one refusal: approvals, server gates and CI gates', () => {
    let s = model('fraud-eu');
    s = run(s, 'alice', ALL, version('1.0.0', 1, { metrics: { auc: 0.9 } }));
    s = run(s, 'bob', ALL, { type: 'DecideApproval', version: '1.0.0', decision: 'approve' });
    s = run(s, 'carol', ALL, { type: 'DecideApproval', version: '1.0.0', decision: 'approve' });
    s = run(s, 'ci', ALL, { type: 'RecordGateResult', version: '1.0.0', gate: 'fairness', status: 'passed', metrics: { subgroup_gap: 0.01 } });
    // 1.0.0 has no model card: refused on that alone.
    const first = refusal(() => decide({ type: 'TransitionStage', version: '1.0.0', stage: 'Production' }, s, { actor: { sub: 'rm', scopes: ALL }, policy }));
    expect((first.extra.unmet as { gate?: string }[]).map((u) => u.gate)).toEqual(['model-card']);
    s = run(s, 'alice', ALL, version('1.1.0', 2, { modelCard: '# card' }));
    s = run(s, 'rm', ALL, { type: 'TransitionStage', version: '1.0.0', stage: 'Production' }, governancePolicy(parsePolicyDocument({}), 'policy@lenient'));
    // 1.1.0: worse auc than the incumbent, one approval of two, fairness missing.
    s = run(s, 'alice', ALL, version('1.2.0', 3, { modelCard: 'card', metrics: { auc: 0.85 } }));
    s = run(s, 'bob', ALL, { type: 'DecideApproval', version: '1.2.0', decision: 'approve' });
    const e = refusal(() => decide({ type: 'TransitionStage', version: '1.2.0', stage: 'Production' }, s, { actor: { sub: 'rm', scopes: ALL }, policy }));
    expect(e.code).toBe('PROMOTION_REQUIREMENTS_UNMET');
    expect(e.extra.policy).toBe('policy@test');
    const unmet = e.extra.unmet as { code: string; gate?: string; approvals?: number; required?: number; status?: string }[];
    expect(unmet.map((u) => u.gate ?? u.code)).toEqual(['APPROVAL_REQUIRED', 'offline-quality', 'fairness']);
    expect(unmet[0]).toMatchObject({ approvals: 1, required: 2 });
    expect(unmet[1]).toMatchObject({ status: 'failed', incumbent: { version: '1.0.0', value: 0.9 } });
    expect(unmet[2]).toMatchObject({ code: 'GATE_MISSING', status: 'missing' });
    expect(e.details).toHaveLength(3);
  });

  test('a CI gate passes only when recorded as passed and within its thresholds; the result names the policy it was recorded under', () => {
    let s = model('fraud-x');
    s = run(s, 'alice', ALL, version('1.0.0', 1, { modelCard: 'c' }));
    s = run(s, 'ci', ALL, { type: 'RecordGateResult', version: '1.0.0', gate: 'fairness', status: 'passed', metrics: { subgroup_gap: 0.2 } });
    const v = s.versions['1.0.0'];
    expect(v.gates.fairness.policy).toBe('policy@test');
    const fairness = policy.checklist(s, v, { kind: 'stage', stage: 'Production' }).find((r) => r.gate === 'fairness')!;
    expect(fairness).toMatchObject({ met: false, status: 'failed', recordedUnder: 'policy@test', judgedBy: 'policy@test' });
    expect(fairness.message).toContain('subgroup_gap = 0.2 > 0.05');
  });

  test('lineage-complete and image-pinned are judged from the registered facts', () => {
    let s = model('churn');
    s = run(s, 'alice', ALL, version('1.0.0', 1, { lineage: { gitCommit: 'a'.repeat(40), image: { ref: 'serving/churn:latest' } } }));
    const items = policy.checklist(s, s.versions['1.0.0'], { kind: 'stage', stage: 'Production' });
    expect(items.find((i) => i.gate === 'lineage-complete')).toMatchObject({ met: false, missing: ['lineage.datasetHash', 'lineage.runId'] });
    expect(items.find((i) => i.gate === 'image-pinned')!.message).toContain("tag 'latest'");
    s = run(s, 'alice', ALL, version('1.1.0', 2));
    expect(policy.checklist(s, s.versions['1.1.0'], { kind: 'stage', stage: 'Production' }).filter((i) => i.gate && !i.met)).toEqual([]);
  });

  test('a protected alias follows the Production rules', () => {
    let s = model('churn');
    s = run(s, 'alice', ALL, version('1.0.0', 1, { lineage: {} }));
    s = run(s, 'bob', ALL, { type: 'DecideApproval', version: '1.0.0', decision: 'approve' });
    const e = refusal(() => decide({ type: 'SetAlias', alias: 'champion', version: '1.0.0' }, s, { actor: { sub: 'rm', scopes: ALL }, policy }));
    expect((e.extra.unmet as { gate?: string }[]).map((u) => u.gate)).toEqual(['lineage-complete', 'image-pinned']);
    expect(decide({ type: 'SetAlias', alias: 'challenger', version: '1.0.0' }, s, { actor: { sub: 'rm', scopes: ALL }, policy })).toHaveLength(1);
  });

  test('the promotion event names the policy that allowed it', () => {
    let s = model('churn');
    s = run(s, 'alice', ALL, version('1.0.0', 1));
    s = run(s, 'bob', ALL, { type: 'DecideApproval', version: '1.0.0', decision: 'approve' });
    const events = decide({ type: 'TransitionStage', version: '1.0.0', stage: 'Production' }, s, { actor: { sub: 'rm', scopes: ALL }, policy });
    expect(events.find((e) => e.type === 'VersionPromoted')!.data).toMatchObject({ policy: 'policy@test' });
  });
});

describe('approvals (N-of-M, four-eyes) from the policy', () => {
  test('N comes from the model override; approvers must be distinct; the N-th approval approves', () => {
    let s = model('fraud-eu');
    s = run(s, 'alice', ALL, version('1.0.0', 1));
    const first = decide({ type: 'DecideApproval', version: '1.0.0', decision: 'approve' }, s, { actor: { sub: 'bob', scopes: ALL }, policy });
    expect(first).toEqual([{ type: 'ApprovalRecorded', data: { version: '1.0.0', approvals: 1, required: 2 } }]);
    s = apply(s, 'bob', first);
    expect(s.versions['1.0.0'].approvalStatus).toBe('PendingManualApproval');
    expect(refusal(() => decide({ type: 'DecideApproval', version: '1.0.0', decision: 'approve' }, s, { actor: { sub: 'bob', scopes: ALL }, policy })).code).toBe('DUPLICATE_APPROVER');
    s = run(s, 'carol', ALL, { type: 'DecideApproval', version: '1.0.0', decision: 'approve' });
    expect(s.versions['1.0.0'].approvalStatus).toBe('Approved');
    let c = model('churn');
    c = run(c, 'alice', ALL, version('1.0.0', 1));
    c = run(c, 'bob', ALL, { type: 'DecideApproval', version: '1.0.0', decision: 'approve' });
    expect(c.versions['1.0.0'].approvalStatus).toBe('Approved');
  });

  test('four-eyes: the registrant is refused unless the policy allows self-approval for that model', () => {
    let s = model('churn');
    s = run(s, 'alice', ALL, version('1.0.0', 1));
    const e = refusal(() => decide({ type: 'DecideApproval', version: '1.0.0', decision: 'approve' }, s, { actor: { sub: 'alice', scopes: ALL }, policy }));
    expect(e).toMatchObject({ code: 'SELF_APPROVAL_FORBIDDEN', kind: 'forbidden' });
    const lenient = governancePolicy(parsePolicyDocument({ overrides: [{ match: 'churn', allowSelfApproval: true }] }), 'p');
    expect(decide({ type: 'DecideApproval', version: '1.0.0', decision: 'approve' }, s, { actor: { sub: 'alice', scopes: ALL }, policy: lenient })[0].type).toBe('VersionApproved');
  });

  test('a rejection is final', () => {
    let s = model('churn');
    s = run(s, 'alice', ALL, version('1.0.0', 1));
    s = run(s, 'bob', ALL, { type: 'DecideApproval', version: '1.0.0', decision: 'reject', comment: 'no' });
    expect(refusal(() => decide({ type: 'DecideApproval', version: '1.0.0', decision: 'approve' }, s, { actor: { sub: 'carol', scopes: ALL }, policy })).code).toBe('VERSION_REJECTED');
  });
});
