import { Injectable } from '@nestjs/common';
import { compareVersionStrings, invalid, notFound, parseRange, satisfies } from '#domain';
import { RegistryQueries, type VersionView } from '#read-models';
import { presentVersion } from '../shared/views.js';
import { parseModelUri } from '../shared/model-uri.js';

@Injectable()
export class ResolveHandler {
  constructor(private readonly queries: RegistryQueries) {}

  async handle(uri: unknown, stageParam?: unknown) {
    if (stageParam !== undefined && stageParam !== 'Production' && stageParam !== 'any') {
      throw invalid('INVALID_STAGE', `stage must be Production or any`, [{ field: 'stage', rule: 'isIn', message: 'stage must be one of: Production, any' }]);
    }
    const stage: 'Production' | 'any' = stageParam ?? 'Production';
    const ref = parseModelUri(uri);
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
    return presentVersion(found);
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
