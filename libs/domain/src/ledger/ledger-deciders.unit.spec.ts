import type { DomainEvent } from '../decider.js';
import { checkpointLedger, type AuditCheckpointEventDataMap } from './audit-checkpoints.js';
import { policyLedger, type PolicyEventDataMap } from './policy-ledger.js';

const policy = (contentHash: string, policyId = `policy@${contentHash}`) => ({ policyId, contentHash, source: 'policy.yaml', document: { default: {} } as never });
const fold = <S, M>(d: { initialState(): S; evolve(s: S, e: DomainEvent<M>): S }, events: DomainEvent<M>[]) => events.reduce(d.evolve, d.initialState());

describe('policy ledger decider', () => {
  it('records the first policy, without a previous one', () => {
    expect(policyLedger.decide({ type: 'RecordPolicy', policy: policy('a') }, policyLedger.initialState())).toEqual([{ type: 'PolicyChanged', data: policy('a') }]);
  });

  it('records a different policy, naming the one it replaces', () => {
    const state = fold<ReturnType<typeof policyLedger.initialState>, PolicyEventDataMap>(policyLedger, [{ type: 'PolicyChanged', data: policy('a') }]);
    expect(policyLedger.decide({ type: 'RecordPolicy', policy: policy('b') }, state)).toEqual([
      { type: 'PolicyChanged', data: { ...policy('b'), previousPolicyId: 'policy@a' } },
    ]);
  });

  it('records nothing when the policy in force is the last recorded one', () => {
    const state = fold<ReturnType<typeof policyLedger.initialState>, PolicyEventDataMap>(policyLedger, [
      { type: 'PolicyChanged', data: policy('a') },
      { type: 'PolicyChanged', data: policy('b') },
    ]);
    expect(policyLedger.decide({ type: 'RecordPolicy', policy: policy('b') }, state)).toEqual([]);
    expect(policyLedger.decide({ type: 'RecordPolicy', policy: policy('a') }, state)).toHaveLength(1);
  });
});

describe('audit checkpoint decider', () => {
  const checkpoint = (position: number) => ({ position, hash: 'h'.repeat(64), recordedAt: '2026-01-01T00:00:00.000Z', kid: 'k1', jws: 'x.y.z' });

  it('records a checkpoint past the last signed position', () => {
    const state = fold<ReturnType<typeof checkpointLedger.initialState>, AuditCheckpointEventDataMap>(checkpointLedger, [{ type: 'AuditCheckpoint', data: checkpoint(5) }]);
    expect(checkpointLedger.decide({ type: 'RecordCheckpoint', checkpoint: checkpoint(9) }, state)).toEqual([{ type: 'AuditCheckpoint', data: checkpoint(9) }]);
  });

  it('records nothing for a head a checkpoint already covers (a concurrent writer signed it first)', () => {
    const state = fold<ReturnType<typeof checkpointLedger.initialState>, AuditCheckpointEventDataMap>(checkpointLedger, [{ type: 'AuditCheckpoint', data: checkpoint(9) }]);
    expect(checkpointLedger.decide({ type: 'RecordCheckpoint', checkpoint: checkpoint(9) }, state)).toEqual([]);
    expect(checkpointLedger.decide({ type: 'RecordCheckpoint', checkpoint: checkpoint(7) }, state)).toEqual([]);
  });
});
