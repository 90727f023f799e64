import { Injectable } from '@nestjs/common';
import { notFound } from '../../../../../libs/domain/src/index.js';
import { RegistryQueries, type ModelView } from '../../../../../libs/read-models/src/index.js';

export function presentModel(m: ModelView, position?: number) {
  return {
    name: m.name,
    description: m.description ?? null,
    owners: m.owners,
    tags: m.tags,
    createdBy: m.createdBy,
    createdAt: m.createdAt,
    updatedAt: m.updatedAt,
    versionCount: m.versionCount,
    aliases: m.aliases,
    latestVersions: m.latestVersions,
    position: position ?? m.position,
  };
}

@Injectable()
export class GetModelHandler {
  constructor(private readonly queries: RegistryQueries) {}

  async handle(name: string) {
    const model = await this.queries.getModel(name);
    if (!model) throw notFound('MODEL_NOT_FOUND', `model '${name}' does not exist`, { model: name });
    return presentModel(model);
  }
}
