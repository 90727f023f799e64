/**
 * Scope grammar: `<resource>:<action>` covers every model; `<resource>:<action>:<pattern>` covers
 * the models whose name matches <pattern>, where `*` matches any run of characters.
 * Pure so that the guard (static scopes per route) and the decider (scopes that depend on the
 * request, e.g. Staging vs Production) apply the same rule.
 */
export const Scopes = {
  read: 'registry:read',
  write: 'registry:write',
  gates: 'gates:write',
  approvals: 'approvals:write',
  promote: 'registry:promote',
  audit: 'audit:read',
} as const;
export type Scope = (typeof Scopes)[keyof typeof Scopes];

function patternToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

export function scopeCovers(granted: string, required: string, modelName?: string): boolean {
  if (granted === required) return true;
  if (!granted.startsWith(`${required}:`)) return false;
  if (modelName === undefined) return false;
  return patternToRegExp(granted.slice(required.length + 1)).test(modelName);
}

export function hasScope(scopes: readonly string[], required: string, modelName?: string): boolean {
  return scopes.some((s) => scopeCovers(s, required, modelName));
}
