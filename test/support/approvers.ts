import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The people of the test directory; every one of them may approve every model unless a doc says otherwise. */
export const TEST_PEOPLE = ['alice', 'bob', 'carol', 'dave', 'eve', 'frank', 'gina', 'lead', 'rm'];

export function testDirectory(extra: { people?: string[]; groups?: Record<string, string[]>; approvers?: { match: string; groups: string[] }[] } = {}) {
  const people = extra.people ?? TEST_PEOPLE;
  return {
    people: people.map((s) => ({ subject: s, displayName: `${s[0].toUpperCase()}${s.slice(1)} Tester`, email: `${s}@example.test` })),
    groups: extra.groups ?? { reviewers: people },
    approvers: extra.approvers ?? [{ match: '*', groups: ['reviewers'] }],
  };
}

/** Writes an approver directory file (JSON is YAML) and returns its path. */
export function approversFile(doc: unknown = testDirectory()): string {
  const dir = mkdtempSync(join(tmpdir(), 'ml-approvers-'));
  const path = join(dir, 'approvers.yaml');
  writeFileSync(path, JSON.stringify(doc, null, 2));
  return path;
}
