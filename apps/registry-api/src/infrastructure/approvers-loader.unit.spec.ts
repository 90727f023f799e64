import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateConfig } from '#config';
import { loadApproverDirectory } from './approvers-loader.js';

describe('APPROVERS_FILE loading', () => {
  const file = (text: string) => {
    const p = join(mkdtempSync(join(tmpdir(), 'ml-appr-')), 'approvers.yaml');
    writeFileSync(p, text);
    return p;
  };

  test('an invalid file stops the server with the file and the path of each problem', () => {
    const bad = file('people:\n  - { subject: bob, displayName: Bob, email: not-an-address }\ngroups: { g: [bob, zed] }\napprovers: [{ match: "*", groups: [g] }]\n');
    expect(() => loadApproverDirectory(validateConfig({ APPROVERS_FILE: bad }))).toThrow(new RegExp(`APPROVERS_FILE=${bad}: .*people\\[0\\]\\.email: must be an email address.*groups\\.g: not in people: zed`));
    expect(() => loadApproverDirectory(validateConfig({ APPROVERS_FILE: file('people: [') }))).toThrow(/cannot read or parse it/);
  });

  test('the hash depends on the content, not on formatting; no file means nobody', () => {
    const a = loadApproverDirectory(validateConfig({ APPROVERS_FILE: file('people: [{subject: bob, displayName: Bob}]\ngroups: {g: [bob]}\napprovers: [{match: "*", groups: [g]}]\n') }));
    const b = loadApproverDirectory(validateConfig({ APPROVERS_FILE: file('{"approvers":[{"groups":["g"],"match":"*"}],"groups":{"g":["bob"]},"people":[{"displayName":"Bob","subject":"bob"}]}') }));
    expect(a.hash).toBe(b.hash);
    expect(a.mayApprove('bob', 'churn')).toBe(true);
    expect(loadApproverDirectory(validateConfig({})).approversFor('churn')).toEqual([]);
  });
});
