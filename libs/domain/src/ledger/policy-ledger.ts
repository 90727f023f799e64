import type { Decider } from '../decider.js';
import type { PolicyChangedData } from '../model/policy.js';

/** Events of the `$policy` stream: which promotion policy was in force from which position on. */
export interface PolicyEventDataMap {
  PolicyChanged: PolicyChangedData;
}

export interface PolicyLedgerState {
  /** The last recorded policy, if any. */
  current?: PolicyChangedData;
}

/** A policy loaded at start-up, to be recorded when it differs from the last recorded one. */
export interface RecordPolicy {
  type: 'RecordPolicy';
  policy: Omit<PolicyChangedData, 'previousPolicyId'>;
}


export const policyLedger: Decider<RecordPolicy, PolicyLedgerState, PolicyEventDataMap> = {
  initialState: () => ({}),
  evolve: (_state, event) => ({ current: event.data }),
  decide: (command, state) => {
    if (state.current?.contentHash === command.policy.contentHash) return [];
    return [
      {
        type: 'PolicyChanged',
        data: { ...command.policy, ...(state.current ? { previousPolicyId: state.current.policyId } : {}) },
      },
    ];
  },
};
