import { Injectable } from '@nestjs/common';
import { compareVersionStrings, invalid, notFound, parseRange, satisfies } from '#domain';
import { RegistryQueries, type VersionView } from '#read-models';
import { presentVersion } from '../shared/views.js';
import { parseModelUri, type ModelUri } from '../shared/model-uri.js';
import { ResolveCache, answerOf, type ResolvedAnswer } from './resolve-cache.js';

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
