import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { parsePolicyDocument } from '#domain';
import { policyFromDocument } from './policy-loader.js';

/**
 * The form the policy id was hashed over before the ledger had one canonical-JSON function
 * (sorted keys, JSON.stringify leaves). Ids already recorded in `$policy` must not change.
 */
function formerCanonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(formerCanonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const obj = value as Record<string, unknown>;
    return `{${Object.keys(obj)
      .sort()
      .filter((k) => obj[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${formerCanonicalJson(obj[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

describe('policy id (content hash over RFC 8785 JCS)', () => {
  it('ignores key order and formatting, so it depends on content only', () => {
    const a = parsePolicyDocument({ default: { requiredApprovals: 2, protectedAliases: ['prod', 'champion'] } });
    const b = parsePolicyDocument(JSON.parse('{ "default": { "protectedAliases": ["prod", "champion"], "requiredApprovals": 2 } }'));
    expect(policyFromDocument(a, 'x').contentHash).toBe(policyFromDocument(b, 'y').contentHash);
    expect(policyFromDocument(a, 'x').id).not.toBe(policyFromDocument(parsePolicyDocument({ default: { requiredApprovals: 3 } }), 'x').id);
  });

  it('is the id older builds recorded for the shipped policy and the built-in rules', async () => {
    const { createHash } = await import('node:crypto');
    const docs = [
      parsePolicyDocument(parseYaml(readFileSync('deploy/policy.default.yaml', 'utf8'))),
      parsePolicyDocument({ default: { requiredApprovals: 1, protectedAliases: ['prod'], allowSelfApproval: false } }),
    ];
    for (const doc of docs) {
      const former = `sha256:${createHash('sha256').update(formerCanonicalJson(doc)).digest('hex')}`;
      expect(policyFromDocument(doc, 'file').contentHash).toBe(former);
    }
  });
});
