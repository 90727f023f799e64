import { compareSemver, parseSemver, type SemVer } from './semver.js';

/**
 * Model-adapted semver: a changed input/output schema is a MAJOR change, a retrained artifact
 * with the same schema is MINOR, a declared fix is PATCH. Pure functions used by the decider.
 */
export type Bump = 'major' | 'minor' | 'patch';

export interface SemverDecision {
  /** The version compared with (the highest registered version below the new one). */
  previous?: string;
  /** The smallest bump the rules require. */
  required: Bump | 'initial';
  /** The bump actually made. */
  bump: Bump | 'initial';
  assigned: boolean;
  reason: string;
  schemaChanges?: string[];
}

const canonical = (v: unknown): string => {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
};

/** `[{name, type}]` style schemas are compared field by field; anything else as a whole. */
function fieldsOf(schema: unknown): Map<string, string> | null {
  if (!Array.isArray(schema)) return null;
  const m = new Map<string, string>();
  for (const f of schema) {
    if (!f || typeof f !== 'object' || typeof (f as { name?: unknown }).name !== 'string') return null;
    const { name, ...rest } = f as { name: string };
    m.set(name, canonical(rest));
  }
  return m;
}

function diffSide(side: 'inputs' | 'outputs', before: unknown, after: unknown): string[] {
  if (canonical(before) === canonical(after)) return [];
  const a = fieldsOf(before);
  const b = fieldsOf(after);
  if (!a || !b) return [`${side} schema changed`];
  const out: string[] = [];
  for (const [k, t] of b) {
    if (!a.has(k)) out.push(`${side}: added '${k}' ${t}`);
    else if (a.get(k) !== t) out.push(`${side}: '${k}' changed ${a.get(k)} → ${t}`);
  }
  for (const k of a.keys()) if (!b.has(k)) out.push(`${side}: removed '${k}'`);
  if (out.length === 0) out.push(`${side}: field order changed`);
  return out;
}

/** The schema differences between two signatures; empty when either side has none recorded. */
export function signatureDiff(before: { inputs: unknown; outputs: unknown } | undefined, after: { inputs: unknown; outputs: unknown } | undefined): string[] {
  if (!before || !after) return [];
  return [...diffSide('inputs', before.inputs, after.inputs), ...diffSide('outputs', before.outputs, after.outputs)];
}

export function bumpOf(prev: SemVer, next: SemVer): Bump | null {
  if (compareSemver(next, prev) <= 0) return null;
  if (next.major > prev.major) return 'major';
  if (next.major === prev.major && next.minor > prev.minor) return 'minor';
  return 'patch';
}

const RANK: Record<Bump, number> = { patch: 0, minor: 1, major: 2 };

export function nextVersion(prev: SemVer, bump: Bump): string {
  if (bump === 'major') return `${prev.major + 1}.0.0`;
  if (bump === 'minor') return `${prev.major}.${prev.minor + 1}.0`;
  return `${prev.major}.${prev.minor}.${prev.patch + 1}`;
}

export interface SemverInput {
  /** Existing versions with their signature and artifact digest. */
  existing: { version: string; signature?: { inputs: unknown; outputs: unknown }; digest?: string }[];
  requested?: string;
  signature?: { inputs: unknown; outputs: unknown };
  /** Absent (MLflow registration without one): treated as a new artifact. */
  digest?: string;
  changeKind?: 'fix' | 'retrain';
}

export type SemverVerdict = { ok: true; version: string; decision: SemverDecision } | { ok: false; required: Bump; previous: string; bump: Bump | null; schemaChanges: string[]; reason: string };

/** Applies the rules: which bump is required relative to the predecessor, and whether the requested number honours it. */
export function judgeVersion(input: SemverInput): SemverVerdict {
  const parsed = input.existing
    .map((e) => ({ ...e, sv: parseSemver(e.version) }))
    .filter((e): e is typeof e & { sv: SemVer } => e.sv !== null)
    .sort((a, b) => compareSemver(a.sv, b.sv));
  const requested = input.requested ? parseSemver(input.requested) : null;
  // Compare with the highest version below the new one (the previous highest when it is the newest; a backport's own line otherwise).
  const below = requested ? parsed.filter((e) => compareSemver(e.sv, requested) < 0) : parsed;
  // Below every existing version there is no line to extend: compared with the lowest, it is refused.
  const prev = below[below.length - 1] ?? parsed[0];
  if (!prev) {
    const version = input.requested ?? '1.0.0';
    return { ok: true, version, decision: { required: 'initial', bump: 'initial', assigned: !input.requested, reason: input.requested ? 'first version of the model' : 'first version of the model: assigned 1.0.0' } };
  }
  const schemaChanges = signatureDiff(prev.signature, input.signature);
  const required: Bump = schemaChanges.length ? 'major' : (input.digest !== undefined && prev.digest === input.digest) || input.changeKind === 'fix' ? 'patch' : 'minor';
  const why =
    required === 'major'
      ? `the signature changed since ${prev.version} (${schemaChanges.join('; ')}): MAJOR must increase`
      : required === 'minor'
        ? `same signature as ${prev.version} with a new artifact (retrain): at least MINOR must increase; declare changeKind "fix" for a PATCH`
        : input.changeKind === 'fix'
          ? `same signature as ${prev.version}, declared fix: at least PATCH must increase`
          : `same signature and artifact as ${prev.version}: at least PATCH must increase`;
  if (!requested) {
    const version = nextVersion(prev.sv, required);
    return { ok: true, version, decision: { previous: prev.version, required, bump: required, assigned: true, reason: `assigned ${version}: ${why}`, ...(schemaChanges.length ? { schemaChanges } : {}) } };
  }
  const bump = bumpOf(prev.sv, requested);
  if (!bump || RANK[bump] < RANK[required]) {
    return { ok: false, required, previous: prev.version, bump, schemaChanges, reason: `${input.requested} after ${prev.version} is a ${bump ?? 'no'} bump, but ${why}` };
  }
  return { ok: true, version: input.requested!, decision: { previous: prev.version, required, bump, assigned: false, reason: why, ...(schemaChanges.length ? { schemaChanges } : {}) } };
}

// ---------------------------------------------------------------------------------------------
// Ranges: `^2.3`, `~2.3.1`, `>=2.3 <3`, `>=2.3,<3.0` (pip style), `2.3.1`, `2.x`.
// ---------------------------------------------------------------------------------------------
type Comparator = { op: '>=' | '>' | '<=' | '<' | '='; v: SemVer };

function partial(text: string): { v: SemVer; parts: number } | null {
  const m = /^v?(0|[1-9]\d*)(?:\.(0|[1-9]\d*|x|\*))?(?:\.(0|[1-9]\d*|x|\*))?$/.exec(text);
  if (!m) return null;
  const nums = [m[1], m[2], m[3]];
  const parts = nums.findIndex((n) => n === undefined || n === 'x' || n === '*');
  const count = parts === -1 ? 3 : parts;
  const [major, minor, patch] = nums.map((n) => (n === undefined || n === 'x' || n === '*' ? 0 : Number(n)));
  return { v: { major, minor, patch, prerelease: [] }, parts: count };
}

const sv = (major: number, minor: number, patch: number): SemVer => ({ major, minor, patch, prerelease: [] });

/** Parses a range into comparators (AND); returns null when the text is not a range. */
export function parseRange(text: string): Comparator[] | null {
  const tokens = text.trim().split(/[\s,]+/).filter(Boolean);
  if (tokens.length === 0) return null;
  const out: Comparator[] = [];
  for (const tok of tokens) {
    const m = /^(\^|~|>=|<=|>|<|==|=)?(.+)$/.exec(tok);
    if (!m) return null;
    const p = partial(m[2]);
    if (!p) return null;
    const { v, parts } = p;
    switch (m[1]) {
      case '^': {
        const upper = v.major > 0 || parts < 2 ? sv(v.major + 1, 0, 0) : v.minor > 0 || parts < 3 ? sv(0, v.minor + 1, 0) : sv(0, 0, v.patch + 1);
        out.push({ op: '>=', v }, { op: '<', v: upper });
        break;
      }
      case '~': {
        const upper = parts < 2 ? sv(v.major + 1, 0, 0) : sv(v.major, v.minor + 1, 0);
        out.push({ op: '>=', v }, { op: '<', v: upper });
        break;
      }
      case '>=':
      case '>':
      case '<=':
      case '<':
        out.push({ op: m[1], v });
        break;
      default: {
        if (parts === 3) out.push({ op: '=', v });
        else out.push({ op: '>=', v }, { op: '<', v: parts === 1 ? sv(v.major + 1, 0, 0) : sv(v.major, v.minor + 1, 0) });
      }
    }
  }
  return out;
}

export function satisfies(version: string, range: Comparator[]): boolean {
  const v = parseSemver(version);
  if (!v || v.prerelease.length) return false;
  return range.every(({ op, v: r }) => {
    const c = compareSemver(v, r);
    return op === '>=' ? c >= 0 : op === '>' ? c > 0 : op === '<=' ? c <= 0 : op === '<' ? c < 0 : c === 0;
  });
}
