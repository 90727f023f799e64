import { Injectable } from '@nestjs/common';
import { RegistryQueries } from '#read-models';
import type { ListModelsQuery } from './list-models.dto.js';

@Injectable()
export class ListModelsHandler {
  constructor(private readonly queries: RegistryQueries) {}

  async handle(q: ListModelsQuery) {
    const page = await this.queries.listModels({ prefix: q.prefix, tag: q.tag, owner: q.owner, cursor: q.cursor, limit: q.limit ?? 50 });
    return { items: page.items, nextCursor: page.nextCursor };
  }
}
