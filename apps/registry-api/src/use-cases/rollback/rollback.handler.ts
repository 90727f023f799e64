import { Injectable } from '@nestjs/common';
import { CommandService } from '../../application/command-service.js';
import type { RequestContext } from '../../application/request-context.js';
import type { RollbackDto } from './rollback.dto.js';

@Injectable()
export class RollbackHandler {
  constructor(private readonly commands: CommandService) {}

  async handle(name: string, dto: RollbackDto, ctx: RequestContext): Promise<number> {
    const r = await this.commands.execute(name, { type: 'Rollback', toVersion: dto.toVersion }, ctx, dto.reason);
    return r.position;
  }
}
