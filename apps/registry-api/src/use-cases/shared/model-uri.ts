import { ALIAS_PATTERN, MODEL_NAME_PATTERN, SEMVER_PATTERN, STAGES, invalid, parseRange } from '#domain';

/** `models:/…` URIs, as MLflow clients write them; read by resolve and audit-resolve. */
export type ModelUri =
  | { name: string; kind: 'alias'; alias: string }
  | { name: string; kind: 'range'; range: string }
  | { name: string; kind: 'version'; version: string }
  | { name: string; kind: 'stage'; stage: string };

export function parseModelUri(uri: unknown): ModelUri {
  const bad = (why: string) =>
    invalid('INVALID_MODEL_URI', `cannot resolve '${uri}': ${why}`, [{ field: 'uri', rule: 'modelUri', message: 'expected models:/{name}@{alias}, models:/{name}/{version} or models:/{name}/{Stage}' }]);
  if (typeof uri !== 'string' || uri.length === 0) throw bad('the uri query parameter is required, once');
  if (uri.length > 300) throw bad('it is longer than 300 characters');
  if (!uri.startsWith('models:/')) throw bad('it must start with models:/');
  const rest = uri.slice('models:/'.length);
  const at = rest.indexOf('@');
  if (at >= 0) {
    const name = rest.slice(0, at);
    const alias = rest.slice(at + 1);
    if (!MODEL_NAME_PATTERN.test(name)) throw bad('invalid model name');
    if (!ALIAS_PATTERN.test(alias)) {
      if (parseRange(alias)) return { name, kind: 'range', range: alias };
      throw bad('invalid alias or version range');
    }
    return { name, kind: 'alias', alias };
  }
  const slash = rest.indexOf('/');
  if (slash < 0) throw bad('missing @alias or /version');
  const name = rest.slice(0, slash);
  const ref = rest.slice(slash + 1);
  if (!MODEL_NAME_PATTERN.test(name)) throw bad('invalid model name');
  if ((STAGES as readonly string[]).includes(ref)) return { name, kind: 'stage', stage: ref };
  if (!SEMVER_PATTERN.test(ref)) throw bad('the part after / must be a semver version or a stage');
  return { name, kind: 'version', version: ref };
}
