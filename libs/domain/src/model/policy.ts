import { invalid, type ErrorDetail } from '../errors.js';
import { globMatches } from '../scopes.js';
import { ARTIFACT_FORMATS, productionVersion, type ArtifactFormat, type ModelState, type VersionState } from './types.js';
import { isUnsafeArtifact } from './artifact-safety.js';

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

// ---------------------------------------------------------------------------------------------
// Governance policy: policy as configuration. The file is parsed outside the domain; what comes in
// here is plain data, validated by parsePolicyDocument and evaluated by governancePolicy.
// ---------------------------------------------------------------------------------------------

/** Gates the server judges itself from recorded facts; any other gate name is recorded by CI. */
export const SERVER_GATES = ['lineage-complete', 'image-pinned', 'model-card', 'offline-quality', 'metric-thresholds', 'artifact-format'] as const;
export type ServerGate = (typeof SERVER_GATES)[number];

export interface GateRule {
  name: string;
  /** Metric compared (offline-quality): candidate ≥ incumbent − tolerance. */
  metric?: string;
  tolerance?: number;
  /** Thresholds: on the registered metrics for server gates, on the gate's recorded metrics for CI gates. */
  min?: Record<string, number>;
  max?: Record<string, number>;
  /** artifact-format: the formats allowed at this stage (default: any inspected, valid, safe format). */
  formats?: ArtifactFormat[];
}

export interface PolicyRules {
  requiredApprovals: number;
  allowSelfApproval: boolean;
  protectedAliases: string[];
  gates: { production: GateRule[]; staging: GateRule[] };
}

export interface PolicyOverride extends Partial<Omit<PolicyRules, 'gates'>> {
  /** Model-name pattern, `*` matches any run of characters. */
  match: string;
  gates?: Partial<PolicyRules['gates']>;
}

export interface PolicyDocument {
  default: PolicyRules;
  /** First matching override wins; its fields replace the default's (gates per stage). */
  overrides: PolicyOverride[];
}

export const DEFAULT_RULES: PolicyRules = {
  requiredApprovals: 1,
  allowSelfApproval: false,
  protectedAliases: ['prod', 'champion'],
  gates: { production: [], staging: [] },
};

const GATE_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Validates an untrusted (parsed YAML/JSON) policy; every problem is reported with its path. */
export function parsePolicyDocument(raw: unknown): PolicyDocument {
  const errors: ErrorDetail[] = [];
  const err = (field: string, rule: string, message: string) => errors.push({ field, rule, message });
  const numRecord = (v: unknown, field: string): Record<string, number> | undefined => {
    if (v === undefined) return undefined;
    if (!isObj(v) || Object.values(v).some((n) => typeof n !== 'number' || !Number.isFinite(n))) {
      err(field, 'numberRecord', 'must map metric names to finite numbers');
      return undefined;
    }
    return v as Record<string, number>;
  };
  const gates = (v: unknown, field: string): GateRule[] | undefined => {
    if (v === undefined) return undefined;
    if (!Array.isArray(v)) {
      err(field, 'array', 'must be a list of gates');
      return undefined;
    }
    return v.map((g, i) => {
      const f = `${field}[${i}]`;
      const rule: Record<string, unknown> = typeof g === 'string' ? { name: g } : isObj(g) ? g : {};
      if (typeof rule.name !== 'string' || !GATE_NAME.test(rule.name)) err(`${f}.name`, 'pattern', `gate name must match ${GATE_NAME.source}`);
      for (const k of Object.keys(rule)) if (!['name', 'metric', 'tolerance', 'min', 'max', 'formats'].includes(k)) err(`${f}.${k}`, 'unknownField', `unknown field '${k}'`);
      if (rule.formats !== undefined) {
        const known = ARTIFACT_FORMATS as readonly string[];
        if (!Array.isArray(rule.formats) || rule.formats.length === 0 || rule.formats.some((x) => typeof x !== 'string' || !known.includes(x))) {
          err(`${f}.formats`, 'formatList', `must be a non-empty list of artifact formats (${known.join(', ')})`);
        } else if (rule.name !== 'artifact-format') err(`${f}.formats`, 'onlyArtifactFormat', 'formats applies to the artifact-format gate only');
      }
      if (rule.metric !== undefined && typeof rule.metric !== 'string') err(`${f}.metric`, 'string', 'must be a metric name');
      if (rule.tolerance !== undefined && (typeof rule.tolerance !== 'number' || rule.tolerance < 0)) err(`${f}.tolerance`, 'min', 'must be a number ≥ 0');
      if (rule.name === 'offline-quality' && typeof rule.metric !== 'string') err(`${f}.metric`, 'required', 'offline-quality needs the metric it compares');
      const out: GateRule = { name: String(rule.name) };
      if (typeof rule.metric === 'string') out.metric = rule.metric;
      if (typeof rule.tolerance === 'number') out.tolerance = rule.tolerance;
      const min = numRecord(rule.min, `${f}.min`);
      const max = numRecord(rule.max, `${f}.max`);
      if (min) out.min = min;
      if (max) out.max = max;
      if (Array.isArray(rule.formats)) out.formats = rule.formats as ArtifactFormat[];
      return out;
    });
  };
  type Parsed = Partial<Omit<PolicyRules, 'gates'>> & { gates?: Partial<PolicyRules['gates']> };
  const rules = (v: unknown, field: string, partial: boolean): Parsed => {
    const out: Parsed = {};
    if (!isObj(v)) {
      err(field, 'object', 'must be a mapping');
      return out;
    }
    const allowed = ['requiredApprovals', 'allowSelfApproval', 'protectedAliases', 'gates', ...(partial ? ['match'] : [])];
    for (const k of Object.keys(v)) if (!allowed.includes(k)) err(`${field}.${k}`, 'unknownField', `unknown field '${k}'`);
    if (v.requiredApprovals !== undefined) {
      if (!Number.isInteger(v.requiredApprovals) || (v.requiredApprovals as number) < 1 || (v.requiredApprovals as number) > 20) {
        err(`${field}.requiredApprovals`, 'range', 'must be an integer from 1 to 20');
      } else out.requiredApprovals = v.requiredApprovals as number;
    }
    if (v.allowSelfApproval !== undefined) {
      if (typeof v.allowSelfApproval !== 'boolean') err(`${field}.allowSelfApproval`, 'boolean', 'must be true or false');
      else out.allowSelfApproval = v.allowSelfApproval;
    }
    if (v.protectedAliases !== undefined) {
      if (!Array.isArray(v.protectedAliases) || v.protectedAliases.some((a) => typeof a !== 'string')) {
        err(`${field}.protectedAliases`, 'stringArray', 'must be a list of alias names');
      } else out.protectedAliases = v.protectedAliases as string[];
    }
    if (v.gates !== undefined) {
      if (!isObj(v.gates)) err(`${field}.gates`, 'object', 'must map production/staging to gate lists');
      else {
        for (const k of Object.keys(v.gates)) if (!['production', 'staging'].includes(k)) err(`${field}.gates.${k}`, 'unknownField', `unknown stage '${k}' (production, staging)`);
        const p = gates(v.gates.production, `${field}.gates.production`);
        const s = gates(v.gates.staging, `${field}.gates.staging`);
        out.gates = { ...(p ? { production: p } : {}), ...(s ? { staging: s } : {}) };
      }
    }
    return out;
  };
  if (!isObj(raw)) throw invalid('INVALID_POLICY', 'policy must be a mapping with `default` and optional `overrides`', [{ field: '', rule: 'object', message: 'must be a mapping' }]);
  for (const k of Object.keys(raw)) if (!['default', 'overrides'].includes(k)) err(k, 'unknownField', `unknown field '${k}'`);
  const d = raw.default === undefined ? {} : rules(raw.default, 'default', false);
  const doc: PolicyDocument = {
    default: {
      requiredApprovals: d.requiredApprovals ?? DEFAULT_RULES.requiredApprovals,
      allowSelfApproval: d.allowSelfApproval ?? DEFAULT_RULES.allowSelfApproval,
      protectedAliases: d.protectedAliases ?? DEFAULT_RULES.protectedAliases,
      gates: { production: d.gates?.production ?? [], staging: d.gates?.staging ?? [] },
    },
    overrides: [],
  };
  if (raw.overrides !== undefined) {
    if (!Array.isArray(raw.overrides)) err('overrides', 'array', 'must be a list');
    else
      raw.overrides.forEach((o, i) => {
        const r = rules(o, `overrides[${i}]`, true);
        const match = isObj(o) ? o.match : undefined;
        if (typeof match !== 'string' || !/^[a-z0-9*][a-z0-9._*-]{0,127}$/.test(match)) {
          err(`overrides[${i}].match`, 'pattern', 'must be a model-name pattern (lowercase, `*` as wildcard)');
        }
        doc.overrides.push({ ...r, match: String(match) } as PolicyOverride);
      });
  }
  if (errors.length) {
    throw invalid('INVALID_POLICY', `policy is invalid: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`, errors);
  }
  return doc;
}

/** The rules in force for one model: the first matching override over the default. */
export function rulesFor(doc: PolicyDocument, modelName: string): PolicyRules & { override?: string } {
  // The same linear matcher as qualified scopes: a pattern with many stars cannot stall a request.
  const o = doc.overrides.find((x) => globMatches(x.match, modelName));
  if (!o) return doc.default;
  return {
    requiredApprovals: o.requiredApprovals ?? doc.default.requiredApprovals,
    allowSelfApproval: o.allowSelfApproval ?? doc.default.allowSelfApproval,
    protectedAliases: o.protectedAliases ?? doc.default.protectedAliases,
    gates: {
      production: o.gates?.production ?? doc.default.gates.production,
      staging: o.gates?.staging ?? doc.default.gates.staging,
    },
    override: o.match,
  };
}

function thresholdFailures(values: Record<string, number> | undefined, rule: GateRule): string[] {
  const out: string[] = [];
  for (const [k, min] of Object.entries(rule.min ?? {})) {
    const v = values?.[k];
    if (v === undefined) out.push(`${k} missing (needs ≥ ${min})`);
    else if (v < min) out.push(`${k} = ${v} < ${min}`);
  }
  for (const [k, max] of Object.entries(rule.max ?? {})) {
    const v = values?.[k];
    if (v === undefined) out.push(`${k} missing (needs ≤ ${max})`);
    else if (v > max) out.push(`${k} = ${v} > ${max}`);
  }
  return out;
}

/** Judges one gate for one version; `policyId` is stamped on the result so an audit knows which rules judged it. */
export function evaluateGate(state: ModelState, v: VersionState, rule: GateRule, policyId: string): Requirement {
  const base = { gate: rule.name, judgedBy: policyId };
  const result = (met: boolean, message: string, extra: Record<string, unknown>): Requirement => ({
    code: met ? 'GATE_PASSED' : 'GATE_UNMET',
    message: `gate '${rule.name}': ${message}`,
    met,
    ...base,
    ...extra,
  });
  switch (rule.name as ServerGate) {
    case 'lineage-complete': {
      const l = v.lineage;
      const missing = [
        !v.artifact?.digest ? 'artifact.digest' : null,
        !l.gitCommit ? 'lineage.gitCommit' : null,
        !l.datasetHash ? 'lineage.datasetHash' : null,
        !l.runId ? 'lineage.runId' : null,
      ].filter((x): x is string => x !== null);
      return result(missing.length === 0, missing.length ? `missing ${missing.join(', ')}` : 'artifact digest, git commit, dataset hash and run id are recorded', {
        evaluatedBy: 'server',
        status: missing.length ? 'failed' : 'passed',
        ...(missing.length ? { missing } : {}),
      });
    }
    case 'image-pinned': {
      const img = v.lineage.image;
      const tag = img ? /:([^/:@]+)$/.exec(img.ref.split('@')[0])?.[1] : undefined;
      const pinned = !!img && (!!img.digest || /@sha256:[0-9a-f]{64}$/.test(img.ref)) && tag !== 'latest';
      const why = !img
        ? 'no serving image recorded (lineage.image)'
        : tag === 'latest'
          ? `image ${img.ref} uses the tag 'latest'`
          : !pinned
            ? `image ${img.ref} is not referenced by digest`
            : `image pinned at ${img.digest ?? img.ref.split('@')[1]}`;
      return result(pinned, why, { evaluatedBy: 'server', status: pinned ? 'passed' : 'failed' });
    }
    case 'model-card': {
      const has = !!(v.modelCard && v.modelCard.trim()) || !!v.modelCardUri;
      return result(has, has ? 'model card attached' : 'no model card attached (modelCard or modelCardUri)', {
        evaluatedBy: 'server',
        status: has ? 'passed' : 'failed',
        ...(v.modelCardUri ? { evidenceUri: v.modelCardUri } : {}),
      });
    }
    case 'offline-quality': {
      const metric = rule.metric!;
      const tolerance = rule.tolerance ?? 0;
      const candidate = v.metrics[metric];
      const incumbent = productionVersion(state);
      const inc = incumbent && incumbent.version !== v.version ? incumbent.metrics[metric] : undefined;
      const failures = thresholdFailures(v.metrics, rule);
      let ok = candidate !== undefined && failures.length === 0;
      let why: string;
      if (candidate === undefined) why = `metric '${metric}' is not recorded on version ${v.version}`;
      else if (inc === undefined) why = `${metric} = ${candidate}; no incumbent Production ${metric} to compare with`;
      else {
        ok = ok && candidate >= inc - tolerance;
        why = `${metric} = ${candidate} vs incumbent ${incumbent!.version} ${inc} (tolerance ${tolerance})`;
      }
      if (failures.length) why += `; ${failures.join(', ')}`;
      return result(ok, why, {
        evaluatedBy: 'server',
        status: ok ? 'passed' : 'failed',
        metric,
        value: candidate ?? null,
        ...(inc !== undefined ? { incumbent: { version: incumbent!.version, value: inc }, tolerance } : {}),
      });
    }
    case 'artifact-format': {
      const i = v.inspection;
      const allowed = rule.formats;
      let ok = false;
      let why: string;
      if (!i) why = `artifact (declared ${v.artifact.format}) was never inspected; register it with the model-ledger CLI, which inspects the bytes`;
      else if (isUnsafeArtifact(v)) why = `artifact (${i.format}) runs code on load${i.unsafeGlobals?.length ? `: ${i.unsafeGlobals.join(', ')}` : ''}`;
      else if (!i.valid) why = `artifact (${i.format}) failed structure checks${i.errors?.length ? `: ${i.errors.slice(0, 3).join('; ')}` : ''}`;
      else if (allowed && !allowed.includes(i.format)) why = `format ${i.format} is not allowed here (allowed: ${allowed.join(', ')})`;
      else {
        ok = true;
        why = `format ${i.format} inspected by ${i.inspector}${allowed ? ` (allowed: ${allowed.join(', ')})` : ''}`;
      }
      return result(ok, why, {
        evaluatedBy: 'server',
        status: ok ? 'passed' : 'failed',
        format: i?.format ?? v.artifact.format,
        inspected: !!i,
        ...(allowed ? { allowed } : {}),
      });
    }
    case 'metric-thresholds': {
      const failures = thresholdFailures(v.metrics, rule);
      return result(failures.length === 0, failures.length ? failures.join(', ') : 'registered metrics meet the thresholds', {
        evaluatedBy: 'server',
        status: failures.length ? 'failed' : 'passed',
      });
    }
    default: {
      const recorded = v.gates[rule.name];
      if (!recorded) {
        return { ...result(false, 'no result recorded (POST .../gates)', { evaluatedBy: 'ci', status: 'missing' }), code: 'GATE_MISSING' };
      }
      const failures = recorded.status === 'passed' ? thresholdFailures(recorded.metrics, rule) : [];
      const ok = recorded.status === 'passed' && failures.length === 0;
      const why =
        recorded.status === 'failed'
          ? `recorded as failed by ${recorded.recordedBy}`
          : failures.length
            ? `passed by ${recorded.recordedBy} but ${failures.join(', ')}`
            : `passed, recorded by ${recorded.recordedBy}`;
      return result(ok, why, {
        evaluatedBy: 'ci',
        status: ok ? 'passed' : 'failed',
        recordedBy: recorded.recordedBy,
        recordedAt: recorded.recordedAt,
        ...(recorded.policy ? { recordedUnder: recorded.policy } : {}),
        ...(recorded.metrics ? { metrics: recorded.metrics } : {}),
        ...(recorded.evidenceUri ? { evidenceUri: recorded.evidenceUri } : {}),
      });
    }
  }
}

/** The promotion policy of a policy document; `id` names its content so events can say which rules applied. */
export function governancePolicy(doc: PolicyDocument, id: string): PromotionPolicy & { readonly document: PolicyDocument } {
  return {
    id,
    document: doc,
    protectedAliases: (name) => rulesFor(doc, name).protectedAliases,
    requiredApprovals: (name) => rulesFor(doc, name).requiredApprovals,
    allowSelfApproval: (name) => rulesFor(doc, name).allowSelfApproval,
    checklist(state, version, target) {
      const rules = rulesFor(doc, state.name);
      const production = target.kind === 'alias' || target.stage === 'Production';
      const items: Requirement[] = [];
      if (production) {
        const have = version.approvals.length;
        const approved = version.approvalStatus === 'Approved';
        const need = Math.max(0, rules.requiredApprovals - have);
        items.push({
          code: 'APPROVAL_REQUIRED',
          message: approved
            ? `approved (${have} of ${rules.requiredApprovals})`
            : version.approvalStatus === 'Rejected'
              ? `version ${version.version} was rejected`
              : `${have} of ${rules.requiredApprovals} approvals; ${need || 1} more needed from distinct approvers`,
          met: approved,
          approvalStatus: version.approvalStatus,
          approvals: have,
          required: rules.requiredApprovals,
          approvers: version.approvals.map((a) => a.sub),
        });
      }
      for (const g of production ? rules.gates.production : rules.gates.staging) items.push(evaluateGate(state, version, g, id));
      return items;
    },
  };
}

/** Canonical JSON (sorted keys) so that the policy id depends on content, not formatting. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isObj(value)) {
    return `{${Object.keys(value)
      .sort()
      .filter((k) => value[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

export const POLICY_STREAM = '$policy';
export interface PolicyChangedData {
  policyId: string;
  contentHash: string;
  previousPolicyId?: string;
  source: string;
  document: PolicyDocument;
}
