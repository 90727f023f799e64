import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import {
  decide,
  DomainError,
  fold,
  governancePolicy,
  initialModelState,
  parsePolicyDocument,
  type ModelEvent,
  type ModelState,
  type RecordedModelEvent,
} from '#domain';

/** The shipped policy file (deploy/policy.default.yaml) cannot let an unsafe artifact through either. */
const shipped = governancePolicy(parsePolicyDocument(parse(readFileSync(join(import.meta.dirname, '../../deploy/policy.default.yaml'), 'utf8'))), 'shipped');
const ALL = ['registry:write', 'registry:promote', 'approvals:write', 'gates:write'];
const D = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;
let rev = -1;
const run = (s: ModelState, actor: string, cmd: Parameters<typeof decide>[0]) =>
  fold(
    s,
    decide(cmd, s, { actor: { sub: actor, scopes: ALL }, policy: shipped }).map(
      (e: ModelEvent) => ({ ...e, recordedAt: '2026-01-01T00:00:00Z', actor: { sub: actor, scopes: [] }, revision: ++rev }) as RecordedModelEvent,
    ),
  );

it.each(['churn', 'fraud-detector'])('model %s: every gate met, approved, still refused for Production and protected aliases', (name) => {
  let s = run(initialModelState(name), 'alice', { type: 'CreateModel', name });
  s = run(s, 'alice', {
    type: 'RegisterVersion',
    version: '1.0.0',
    artifact: { uri: 's3://m/model.pkl', digest: D(1), format: 'pickle' },
    inspection: { format: 'pickle', valid: true, safe: false, unsafeGlobals: ['posix.system'], inspector: 'model-ledger-inspect/1' },
    metrics: { auc: 0.9 },
    modelCard: 'card',
    lineage: { runId: 'r', gitCommit: 'a'.repeat(40), datasetHash: D(2), image: { ref: 'reg/serve:1', digest: D(3) } },
  });
  for (const [gate, metrics] of [['fairness', { subgroup_gap: 0 }], ['latency-p95', { p95_ms: 10 }], ['vuln-scan', { critical: 0 }]] as const) {
    s = run(s, 'ci', { type: 'RecordGateResult', version: '1.0.0', gate, status: 'passed', metrics });
  }
  s = run(s, 'bob', { type: 'DecideApproval', version: '1.0.0', decision: 'approve' });
  if (s.versions['1.0.0'].approvalStatus !== 'Approved') s = run(s, 'carol', { type: 'DecideApproval', version: '1.0.0', decision: 'approve' });
  for (const cmd of [
    { type: 'TransitionStage', version: '1.0.0', stage: 'Production' },
    { type: 'SetAlias', alias: 'prod', version: '1.0.0' },
    { type: 'SetAlias', alias: 'champion', version: '1.0.0' },
  ] as const) {
    let error: unknown;
    try {
      decide(cmd, s, { actor: { sub: 'rm', scopes: ALL }, policy: shipped });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DomainError);
    const unmet = ((error as DomainError).extra.unmet as { code: string }[]).map((r) => r.code);
    expect(unmet).toEqual(['ARTIFACT_UNSAFE']);
  }
});
