import { Injectable } from '@nestjs/common';
import { CommandService } from '../../application/command-service.js';
import type { RequestContext } from '../../application/request-context.js';

@Injectable()
export class RemoveAliasHandler {
  constructor(private readonly commands: CommandService) {}

  async handle(name: string, alias: string, ctx: RequestContext, reason?: string): Promise<number> {
    const r = await this.commands.execute(name, { type: 'RemoveAlias', alias }, ctx, reason);
    return r.position;
  }
}
