import { Injectable } from '@nestjs/common';
import { CommandService } from '../../application/command-service.js';
import type { RequestContext } from '../../application/request-context.js';
import type { CreateModelDto } from './create-model.dto.js';

@Injectable()
export class CreateModelHandler {
  constructor(private readonly commands: CommandService) {}

  async handle(dto: CreateModelDto, ctx: RequestContext) {
    const result = await this.commands.execute(
      dto.name,
      { type: 'CreateModel', name: dto.name, description: dto.description, owners: dto.owners, tags: dto.tags },
      ctx,
      dto.reason,
    );
    return result.position;
  }
}
