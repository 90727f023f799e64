import { Injectable } from '@nestjs/common';
import { RegistryQueries } from '#read-models';
import { presentVersion, requireVersionView } from '../shared/views.js';

@Injectable()
export class GetVersionHandler {
  constructor(private readonly queries: RegistryQueries) {}

  async handle(name: string, version: string) {
    return presentVersion(await requireVersionView(this.queries, name, version));
  }
}
