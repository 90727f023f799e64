import { Injectable } from '@nestjs/common';
import { notFound } from '#domain';
import { RegistryQueries } from '#read-models';
import { presentVersion } from '../shared/views.js';
import type { ListVersionsQuery } from './list-versions.dto.js';

@Injectable()
export class ListVersionsHandler {
  constructor(private readonly queries: RegistryQueries) {}

  async handle(name: string, q: ListVersionsQuery) {
    if (!(await this.queries.getModel(name))) throw notFound('MODEL_NOT_FOUND', `model '${name}' does not exist`, { model: name });
    const page = await this.queries.listVersions(name, { stage: q.stage, approvalStatus: q.approvalStatus, cursor: q.cursor, limit: q.limit ?? 50 });
    return { items: page.items.map((v) => presentVersion(v)), nextCursor: page.nextCursor };
  }
}
