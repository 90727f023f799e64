import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import {
  POLICY_STREAM,
  governancePolicy,
  parsePolicyDocument,
  policyLedger,
  type RecordPolicy,
  type PolicyDocument,
  type PromotionPolicy,
} from '#domain';
import { canonicalize, decideAndAppend, type EventStore } from '#event-store';
import type { AppConfig } from '#config';
import type { IdGenerator } from './tokens.js';

export type LoadedPolicy = PromotionPolicy & { readonly document: PolicyDocument; readonly contentHash: string; readonly source: string };

export function policyFromDocument(doc: PolicyDocument, source: string): LoadedPolicy {
  const contentHash = `sha256:${createHash('sha256').update(canonicalize(doc)).digest('hex')}`;
  return Object.assign(governancePolicy(doc, `policy@${contentHash.slice(7, 19)}`), { contentHash, source });
}

/** Reads POLICY_FILE (YAML or JSON); without one, the built-in rules from REQUIRED_APPROVALS / PROTECTED_ALIASES. */
export function loadPolicy(config: AppConfig): LoadedPolicy {
  if (!config.POLICY_FILE) {
    const doc = parsePolicyDocument({
      default: { requiredApprovals: config.REQUIRED_APPROVALS, protectedAliases: config.PROTECTED_ALIASES, allowSelfApproval: false },
    });
    return policyFromDocument(doc, 'builtin');
  }
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(config.POLICY_FILE, 'utf8'));
  } catch (err) {
    throw new Error(`POLICY_FILE=${config.POLICY_FILE}: cannot read or parse it: ${(err as Error).message}`);
  }
  try {
    return policyFromDocument(parsePolicyDocument(raw), config.POLICY_FILE);
  } catch (err) {
    throw new Error(`POLICY_FILE=${config.POLICY_FILE}: ${(err as Error).message}`);
  }
}

/**
 * Records a PolicyChanged event when the policy in force differs from the last recorded one, so an
 * audit can tell which rules applied at any position. Only a configured POLICY_FILE is recorded:
 * the built-in rules are identified by their id on the events they judge.
 */
export async function recordPolicyIfChanged(store: EventStore, ids: IdGenerator, policy: LoadedPolicy, changedBy: string): Promise<boolean> {
  if (policy.source === 'builtin') return false;
  const command: RecordPolicy = {
    type: 'RecordPolicy',
    policy: { policyId: policy.id, contentHash: policy.contentHash, source: policy.source, document: policy.document },
  };
  const { recorded } = await decideAndAppend(store, POLICY_STREAM, policyLedger, command, {
    newId: () => ids.next(),
    metadata: { actor: { sub: changedBy, scopes: [] }, correlationId: ids.next(), reason: 'policy loaded at startup differs from the last recorded one' },
  });
  return recorded.length > 0;
}
