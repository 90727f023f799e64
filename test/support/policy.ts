import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';

/** Writes a policy document to a temporary YAML file and returns its path (for POLICY_FILE). */
export function policyFile(doc: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'ml-policy-'));
  const file = join(dir, 'policy.yaml');
  writeFileSync(file, stringify(doc));
  return file;
}

export const GOVERNANCE_POLICY = {
  default: {
    requiredApprovals: 1,
    allowSelfApproval: false,
    protectedAliases: ['prod', 'champion'],
    gates: { production: ['lineage-complete', 'image-pinned', { name: 'offline-quality', metric: 'auc', tolerance: 0.01 }, { name: 'latency-p95', max: { p95_ms: 150 } }] },
  },
  overrides: [{ match: 'fraud-*', requiredApprovals: 2, gates: { production: ['model-card', 'lineage-complete'] } }],
};
