import { Injectable } from '@nestjs/common';
import { CommandService } from '../../application/command-service.js';
import type { RequestContext } from '../../application/request-context.js';
import type { DecideApprovalDto } from './decide-approval.dto.js';

@Injectable()
export class DecideApprovalHandler {
  constructor(private readonly commands: CommandService) {}

  async handle(name: string, version: string, dto: DecideApprovalDto, ctx: RequestContext): Promise<number> {
    const r = await this.commands.execute(name, { type: 'DecideApproval', version, decision: dto.decision, comment: dto.comment }, ctx, dto.reason);
    return r.position;
  }
}
