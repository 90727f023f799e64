import { Injectable } from '@nestjs/common';
import { CommandService } from '../../application/command-service.js';
import type { RequestContext } from '../../application/request-context.js';
import type { TransitionStageDto } from './transition-stage.dto.js';

@Injectable()
export class TransitionStageHandler {
  constructor(private readonly commands: CommandService) {}

  async handle(name: string, version: string, dto: TransitionStageDto, ctx: RequestContext): Promise<number> {
    const r = await this.commands.execute(
      name,
      { type: 'TransitionStage', version, stage: dto.stage, archiveExisting: dto.archiveExisting ?? true },
      ctx,
      dto.reason,
    );
    return r.position;
  }
}
