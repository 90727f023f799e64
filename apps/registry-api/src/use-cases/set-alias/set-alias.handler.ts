import { Injectable } from '@nestjs/common';
import { CommandService } from '../../application/command-service.js';
import type { RequestContext } from '../../application/request-context.js';
import type { SetAliasDto } from './set-alias.dto.js';

@Injectable()
export class SetAliasHandler {
  constructor(private readonly commands: CommandService) {}

  async handle(name: string, alias: string, dto: SetAliasDto, ctx: RequestContext): Promise<number> {
    const r = await this.commands.execute(name, { type: 'SetAlias', alias, version: dto.version }, ctx, dto.reason);
    return r.position;
  }
}
