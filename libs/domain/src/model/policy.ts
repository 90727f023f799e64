import type { ModelState, VersionState } from './types.js';

/** One item of the promotion checklist; `met: false` items are what blocks a promotion. */
export interface Requirement {
  code: string;
  message: string;
  met: boolean;
  [key: string]: unknown;
}

export type PromotionTarget = { kind: 'stage'; stage: 'Production' | 'Staging' } | { kind: 'alias'; alias: string };

/**
 * The policy hook the decider consults. The Core policy asks only for approval; the Governance
 * policy (gates, N-of-M, per-model overrides) plugs in behind the same interface.
 */
export interface PromotionPolicy {
  readonly id: string;
  protectedAliases(modelName: string): readonly string[];
  requiredApprovals(modelName: string): number;
  allowSelfApproval(modelName: string): boolean;
  checklist(state: ModelState, version: VersionState, target: PromotionTarget): Requirement[];
}

export interface CorePolicyOptions {
  protectedAliases?: string[];
  requiredApprovals?: number;
  allowSelfApproval?: boolean;
}

export function corePolicy(options: CorePolicyOptions = {}): PromotionPolicy {
  const protectedAliases = options.protectedAliases ?? ['prod', 'champion'];
  return {
    id: 'core-v1',
    protectedAliases: () => protectedAliases,
    requiredApprovals: () => options.requiredApprovals ?? 1,
    allowSelfApproval: () => options.allowSelfApproval ?? false,
    checklist(_state, version, target) {
      const needsApproval = target.kind === 'alias' || target.stage === 'Production';
      if (!needsApproval) return [];
      return [
        {
          code: 'APPROVAL_REQUIRED',
          message:
            version.approvalStatus === 'Approved'
              ? 'version is approved'
              : `version ${version.version} is ${version.approvalStatus}; it must be Approved`,
          met: version.approvalStatus === 'Approved',
          approvalStatus: version.approvalStatus,
        },
      ];
    },
  };
}
