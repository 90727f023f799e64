import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfig } from '#config';
import { loadPolicy } from '../../apps/registry-api/src/infrastructure/policy-loader.js';
import { startTestApp } from '../support/app.js';
import { GOVERNANCE_POLICY, policyFile } from '../support/policy.js';
import { governanceScenarios } from './governance.scenarios.js';

describe('governance over HTTP (embedded SQLite)', () => {
  governanceScenarios('sqlite');
});

describe('policy versioning across restarts (embedded SQLite)', () => {
  test('the same policy is not recorded twice; a changed one is, naming the previous one', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ml-policy-restart-'));
    const a = policyFile(GOVERNANCE_POLICY);
    const b = policyFile({ ...GOVERNANCE_POLICY, default: { ...GOVERNANCE_POLICY.default, requiredApprovals: 3 } });
    const starts = [a, a, b];
    let events: any[] = [];
    for (const file of starts) {
      const t = await startTestApp('sqlite', { DATA_DIR: dataDir, POLICY_FILE: file });
      events = (await t.store.readStream('$policy')).map((e) => e.data);
      await t.close();
    }
    expect(events).toHaveLength(2);
    expect(events[1].previousPolicyId).toBe(events[0].policyId);
    expect(events[1].document.default.requiredApprovals).toBe(3);
  });

  test('the shipped deploy/policy.default.yaml is valid', () => {
    const p = loadPolicy(validateConfig({ POLICY_FILE: 'deploy/policy.default.yaml' }));
    expect(p.requiredApprovals('churn')).toBe(1);
    expect(p.requiredApprovals('fraud-eu')).toBe(2);
    expect(p.allowSelfApproval('churn')).toBe(false);
  });

  test('an invalid policy file stops the server with the path of each problem', async () => {
    const bad = policyFile({ default: { requiredApprovals: 0 } });
    // Nest exits the process when a provider fails at start, so the loader it runs is called directly.
    expect(() => loadPolicy(validateConfig({ POLICY_FILE: bad }))).toThrow(/default\.requiredApprovals: must be an integer from 1 to 20/);
  });
});
