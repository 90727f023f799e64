import { Injectable } from '@nestjs/common';
import { ALIAS_PATTERN, MODEL_NAME_PATTERN, SEMVER_PATTERN, STAGES, compareVersionStrings, invalid, notFound, parseRange, satisfies } from '../../../../../libs/domain/src/index.js';
import { RegistryQueries, type VersionView } from '../../../../../libs/read-models/src/index.js';
import { presentVersion } from '../shared/views.js';
import { ResolveCache, answerOf, type ResolvedAnswer } from './resolve-cache.js';

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

const checkStage = (stageParam: unknown): 'Production' | 'any' => {
  if (stageParam !== undefined && stageParam !== 'Production' && stageParam !== 'any') {
    throw invalid('INVALID_STAGE', `stage must be Production or any`, [{ field: 'stage', rule: 'isIn', message: 'stage must be one of: Production, any' }]);
  }
  return stageParam ?? 'Production';
};

@Injectable()
export class ResolveHandler {
  constructor(
    private readonly queries: RegistryQueries,
    private readonly cache: ResolveCache,
  ) {}

  /** The response body and ETag, from the resolve index when it holds them, else from the read model. */
  async answer(uri: unknown, stageParam?: unknown): Promise<ResolvedAnswer> {
    const stage = checkStage(stageParam);
    const ref = parseModelUri(uri);
    const key = `${stage}\u0000${uri as string}`;
    return this.cache.lookup(key) ?? this.cache.fill(key, ref.name, async () => answerOf(presentVersion(await this.find(ref, uri as string, stage))));
  }

  /** A hit in the resolve index, or undefined (bad input and misses are left to `answer`). */
  cached(uri: string, stageParam: string | undefined): ResolvedAnswer | undefined {
    if (stageParam !== undefined && stageParam !== 'Production' && stageParam !== 'any') return undefined;
    return this.cache.lookup(`${stageParam ?? 'Production'}\u0000${uri}`);
  }

  private async find(ref: ModelUri, uri: string, stage: 'Production' | 'any'): Promise<VersionView> {
    let found: VersionView | undefined;
    if (ref.kind === 'range') found = await this.highestInRange(ref.name, ref.range, stage);
    else if (ref.kind === 'alias') found = await this.queries.resolveAlias(ref.name, ref.alias);
    else if (ref.kind === 'version') found = await this.queries.getVersion(ref.name, ref.version);
    else {
      const latest = (await this.queries.getModel(ref.name))?.latestVersions[ref.stage as 'Production'];
      found = latest ? await this.queries.getVersion(ref.name, latest) : undefined;
    }
    // A tombstone (MLflow delete) is never resolved: serving must not load a deleted version.
    if (found?.deleted) throw notFound('MODEL_URI_NOT_FOUND', `${uri} names a deleted version`, { uri, deleted: true });
    if (!found) {
      const where = ref.kind === 'range' ? ` (${stage === 'any' ? 'no non-archived version' : 'no Production version'} in range; add &stage=any for any non-archived)` : '';
      throw notFound('MODEL_URI_NOT_FOUND', `nothing is registered at ${uri}${where}`, { uri });
    }
    return found;
  }

  /** Highest version in the range: the Production one, or with stage=any any non-archived one. */
  private async highestInRange(name: string, rangeText: string, stage: 'Production' | 'any'): Promise<VersionView | undefined> {
    const range = parseRange(rangeText)!;
    let best: VersionView | undefined;
    let cursor: string | undefined;
    do {
      const page = await this.queries.listVersions(name, { ...(stage === 'Production' ? { stage: 'Production' } : {}), cursor, limit: 500 });
      for (const v of page.items) {
        if (v.stage === 'Archived' || v.deleted || !satisfies(v.version, range)) continue;
        if (!best || compareVersionStrings(v.version, best.version) > 0) best = v;
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return best;
  }
}
