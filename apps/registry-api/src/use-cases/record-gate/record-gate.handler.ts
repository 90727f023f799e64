import { Injectable } from '@nestjs/common';
import { CommandService } from '../../application/command-service.js';
import type { RequestContext } from '../../application/request-context.js';
import type { RecordGateDto } from './record-gate.dto.js';

@Injectable()
export class RecordGateHandler {
  constructor(private readonly commands: CommandService) {}

  async handle(name: string, version: string, dto: RecordGateDto, ctx: RequestContext): Promise<number> {
    const r = await this.commands.execute(
      name,
      { type: 'RecordGateResult', version, gate: dto.gate, status: dto.status, metrics: dto.metrics, evidenceUri: dto.evidenceUri },
      ctx,
      dto.reason,
    );
    return r.position;
  }
}
