import { MODEL_NAME_MAX_LENGTH, MODEL_NAME_PATTERN } from './model/types.js';

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

/**
 * Whether `text` matches `pattern`, where `*` stands for any run of characters and everything
 * else is literal. No regular expression, no backtracking: the literal pieces between the stars
 * are looked for once each, left to right, and the leftmost place a piece fits is always a
 * right choice, so a hostile pattern such as `*-*-*-x` costs one pass over the text.
 */
export function globMatches(pattern: string, text: string): boolean {
  const pieces = pattern.split('*');
  if (pieces.length === 1) return pattern === text;
  const head = pieces[0];
  const tail = pieces[pieces.length - 1];
  if (head.length + tail.length > text.length || !text.startsWith(head) || !text.endsWith(tail)) return false;
  const end = text.length - tail.length;
  let at = head.length;
  for (const piece of pieces.slice(1, -1)) {
    if (piece === '') continue;
    const found = text.indexOf(piece, at);
    if (found === -1 || found + piece.length > end) return false;
    at = found + piece.length;
  }
  return true;
}

/**
 * A qualified scope covers only valid model names: the name is checked (length first, then the
 * anchored name pattern) before any scope pattern is matched against it.
 */
export function isValidModelName(name: string): boolean {
  return name.length >= 1 && name.length <= MODEL_NAME_MAX_LENGTH && MODEL_NAME_PATTERN.test(name);
}

export function scopeCovers(granted: string, required: string, modelName?: string): boolean {
  if (granted === required) return true;
  if (!granted.startsWith(`${required}:`)) return false;
  if (modelName === undefined || !isValidModelName(modelName)) return false;
  return globMatches(granted.slice(required.length + 1), modelName);
}

export function hasScope(scopes: readonly string[], required: string, modelName?: string): boolean {
  return scopes.some((s) => scopeCovers(s, required, modelName));
}
