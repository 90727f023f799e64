import { invalid, type ErrorDetail } from '../errors.js';
import { globMatches } from '../scopes.js';

/**
 * The approver directory: who the people are that may receive approval links, and which groups
 * may approve which models. It lives in its own file (APPROVERS_FILE), not in the policy, because
 * it holds personal data (names, email addresses) that must never enter the permanent, exported
 * event log: events name approvers by subject only.
 */
export interface ApproverPerson {
  /** The subject of the person's tokens (`sub`), the only way events name them. */
  subject: string;
  displayName: string;
  email?: string;
}
export interface ApproverRule {
  /** Model-name pattern; `*` matches any run of characters. The first matching rule applies. */
  match: string;
  groups: string[];
}
export interface ApproverDirectoryDocument {
  people: ApproverPerson[];
  groups: Record<string, string[]>;
  approvers: ApproverRule[];
}

export const SUBJECT_PATTERN = /^[A-Za-z0-9._@:|+-]{1,128}$/;
const GROUP_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
const MODEL_PATTERN_PATTERN = /^[a-z0-9._*-]{1,128}$/;
// Deliberately simple: one @, no spaces or angle brackets, a dot in the domain part.
const EMAIL_PATTERN = /^[^\s@<>()",;]{1,64}@[^\s@<>()",;]{1,190}\.[^\s@<>()",;]{1,63}$/;
const MAX_PEOPLE = 10_000;

const hasControlCharacters = (s: string) => [...s].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Validates a parsed directory file; every problem is reported with its path. */
export function parseApproverDirectory(raw: unknown): ApproverDirectoryDocument {
  const errors: ErrorDetail[] = [];
  const err = (field: string, message: string) => errors.push({ field, rule: 'approverDirectory', message });
  if (!isObj(raw)) {
    throw invalid('INVALID_APPROVER_DIRECTORY', 'approver directory must be an object with people, groups and approvers', [
      { field: '', rule: 'approverDirectory', message: 'must be an object' },
    ]);
  }
  for (const k of Object.keys(raw)) if (!['people', 'groups', 'approvers'].includes(k)) err(k, 'unknown field');
  const people: ApproverPerson[] = [];
  const seen = new Set<string>();
  if (!Array.isArray(raw.people)) err('people', 'must be a list of {subject, displayName, email}');
  else if (raw.people.length > MAX_PEOPLE) err('people', `at most ${MAX_PEOPLE} people`);
  else {
    raw.people.forEach((p, i) => {
      const at = `people[${i}]`;
      if (!isObj(p)) return err(at, 'must be an object');
      for (const k of Object.keys(p)) if (!['subject', 'displayName', 'email'].includes(k)) err(`${at}.${k}`, 'unknown field');
      if (typeof p.subject !== 'string' || !SUBJECT_PATTERN.test(p.subject)) return err(`${at}.subject`, 'must be a subject of 1-128 characters [A-Za-z0-9._@:|+-]');
      if (seen.has(p.subject)) return err(`${at}.subject`, `duplicate subject '${p.subject}'`);
      seen.add(p.subject);
      if (typeof p.displayName !== 'string' || p.displayName.trim() === '' || p.displayName.length > 200 || hasControlCharacters(p.displayName)) {
        return err(`${at}.displayName`, 'must be a non-empty string of at most 200 characters without control characters');
      }
      if (p.email !== undefined && (typeof p.email !== 'string' || !EMAIL_PATTERN.test(p.email))) return err(`${at}.email`, 'must be an email address');
      people.push({ subject: p.subject, displayName: p.displayName.trim(), ...(p.email !== undefined ? { email: p.email as string } : {}) });
    });
  }
  const groups: Record<string, string[]> = {};
  if (!isObj(raw.groups)) err('groups', 'must map group names to lists of subjects');
  else {
    for (const [name, members] of Object.entries(raw.groups)) {
      if (!GROUP_PATTERN.test(name)) err(`groups.${name}`, 'group names are 1-64 characters [A-Za-z0-9._-]');
      else if (!Array.isArray(members) || members.some((m) => typeof m !== 'string')) err(`groups.${name}`, 'must be a list of subjects');
      else {
        const unknown = members.filter((m) => !seen.has(m as string));
        if (unknown.length) err(`groups.${name}`, `not in people: ${unknown.join(', ')}`);
        else groups[name] = [...new Set(members as string[])];
      }
    }
  }
  const approvers: ApproverRule[] = [];
  if (!Array.isArray(raw.approvers)) err('approvers', 'must be a list of {match, groups}');
  else {
    raw.approvers.forEach((r, i) => {
      const at = `approvers[${i}]`;
      if (!isObj(r)) return err(at, 'must be an object');
      for (const k of Object.keys(r)) if (!['match', 'groups'].includes(k)) err(`${at}.${k}`, 'unknown field');
      if (typeof r.match !== 'string' || !MODEL_PATTERN_PATTERN.test(r.match)) return err(`${at}.match`, 'must be a model-name pattern of [a-z0-9._-] and *');
      if (!Array.isArray(r.groups) || r.groups.some((g) => typeof g !== 'string')) return err(`${at}.groups`, 'must be a list of group names');
      const missing = (r.groups as string[]).filter((g) => !(g in groups) && !(isObj(raw.groups) && g in raw.groups));
      if (missing.length) return err(`${at}.groups`, `unknown groups: ${missing.join(', ')}`);
      approvers.push({ match: r.match, groups: r.groups as string[] });
    });
  }
  if (errors.length) {
    throw invalid('INVALID_APPROVER_DIRECTORY', `approver directory is invalid: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`, errors);
  }
  return { people, groups, approvers };
}

export interface ApproverDirectory {
  /** `sha256:…` of the canonical document: events may record it, never its content. */
  readonly hash: string;
  person(subject: string): ApproverPerson | undefined;
  /** The people who may approve versions of this model (first matching rule's groups). */
  approversFor(model: string): ApproverPerson[];
  mayApprove(subject: string, model: string): boolean;
}

export function approverDirectory(doc: ApproverDirectoryDocument, hash: string): ApproverDirectory {
  const bySubject = new Map(doc.people.map((p) => [p.subject, p]));
  const subjectsFor = (model: string): Set<string> => {
    const rule = doc.approvers.find((r) => globMatches(r.match, model));
    return new Set(rule ? rule.groups.flatMap((g) => doc.groups[g] ?? []) : []);
  };
  return {
    hash,
    person: (subject) => bySubject.get(subject),
    approversFor: (model) => [...subjectsFor(model)].map((s) => bySubject.get(s)!).filter(Boolean),
    mayApprove: (subject, model) => bySubject.has(subject) && subjectsFor(model).has(subject),
  };
}

/** No directory configured: nobody can receive a link (the authenticated approvals route still works). */
export const EMPTY_APPROVER_DIRECTORY: ApproverDirectoryDocument = { people: [], groups: {}, approvers: [] };
