import { Injectable } from '@nestjs/common';
import { notFound } from '#domain';
import { RegistryQueries } from '#read-models';
import { presentVersion } from '../shared/views.js';

@Injectable()
export class GetAliasHandler {
  constructor(private readonly queries: RegistryQueries) {}

  async handle(name: string, alias: string) {
    const v = await this.queries.resolveAlias(name, alias);
    if (v) return presentVersion(v);
    if (!(await this.queries.getModel(name))) throw notFound('MODEL_NOT_FOUND', `model '${name}' does not exist`, { model: name });
    throw notFound('ALIAS_NOT_FOUND', `model '${name}' has no alias '${alias}'`, { model: name, alias });
  }
}
