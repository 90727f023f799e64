import { DomainError } from '../errors.js';
import type { PromotionPolicy, PromotionTarget, Requirement } from './policy.js';
import type { ModelState, VersionState } from './types.js';

/**
 * The one promotion rule no policy can switch off: a version whose artifact was inspected as
 * unsafe (it runs code on load) never reaches Production or a protected alias. A version never
 * inspected is not unsafe; policies that want inspection require the `artifact-format` gate.
 */
export function isUnsafeArtifact(v: VersionState): boolean {
  const i = v.inspection;
  return !!i && (i.safe === false || (i.unsafeGlobals?.length ?? 0) > 0);
}

export function artifactSafetyRequirement(v: VersionState): Requirement | undefined {
  const i = v.inspection;
  if (!i) return undefined;
  const unsafe = isUnsafeArtifact(v);
  const globals = i.unsafeGlobals ?? [];
  return {
    code: unsafe ? 'ARTIFACT_UNSAFE' : 'ARTIFACT_SAFE',
    message: unsafe
      ? `artifact (${i.format}) runs code on load${globals.length ? `: imports ${globals.join(', ')}` : ''}; an unsafe artifact never reaches Production or a protected alias (no policy can allow it)`
      : `artifact (${i.format}) inspected by ${i.inspector}: nothing that runs code on load`,
    met: !unsafe,
    format: i.format,
    inspector: i.inspector,
    ...(globals.length ? { unsafeGlobals: globals } : {}),
  };
}

/** The policy's checklist plus the unsafe-artifact rule, for Production and alias targets. */
export function promotionChecklist(policy: PromotionPolicy, state: ModelState, v: VersionState, target: PromotionTarget): Requirement[] {
  const items = policy.checklist(state, v, target);
  const production = target.kind === 'alias' || target.stage === 'Production';
  const safety = production ? artifactSafetyRequirement(v) : undefined;
  return safety ? [...items, safety] : items;
}

export function unsafeArtifactError(v: VersionState, where: string): DomainError {
  const r = artifactSafetyRequirement(v)!;
  return new DomainError('PROMOTION_REQUIREMENTS_UNMET', 'precondition', `version ${v.version} cannot move to ${where}: ${r.message}`, [
    { rule: r.code, message: r.message },
  ], { unmet: [r] });
}
