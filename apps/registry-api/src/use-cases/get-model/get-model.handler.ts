import { Injectable } from '@nestjs/common';
import { notFound } from '#domain';
import { RegistryQueries } from '#read-models';
import { presentModel } from '../shared/views.js';

@Injectable()
export class GetModelHandler {
  constructor(private readonly queries: RegistryQueries) {}

  async handle(name: string) {
    const model = await this.queries.getModel(name);
    if (!model) throw notFound('MODEL_NOT_FOUND', `model '${name}' does not exist`, { model: name });
    return presentModel(model);
  }
}
