import { Injectable } from '@nestjs/common';
import { CommandService } from '../../application/command-service.js';
import type { RequestContext } from '../../application/request-context.js';
import type { RegisterVersionDto } from './register-version.dto.js';

/** Plain objects only: class instances from validation must not leak into event payloads. */
const plain = <T>(v: T): T => (v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T));

@Injectable()
export class RegisterVersionHandler {
  constructor(private readonly commands: CommandService) {}

  async handle(name: string, dto: RegisterVersionDto, ctx: RequestContext): Promise<{ position: number; version: string }> {
    const result = await this.commands.execute(
      name,
      {
        type: 'RegisterVersion',
        version: dto.version,
        changeKind: dto.changeKind,
        modelCard: dto.modelCard,
        modelCardUri: dto.modelCardUri,
        artifact: plain(dto.artifact),
        signature: plain(dto.signature),
        inspection: plain(dto.inspection),
        metrics: dto.metrics,
        params: dto.params,
        lineage: plain(dto.lineage),
        tags: dto.tags,
        description: dto.description,
        allowDuplicateArtifact: dto.allowDuplicateArtifact,
      },
      ctx,
      dto.reason,
    );
    const registered = result.events.find((e) => e.type === 'VersionRegistered');
    return { position: result.position, version: registered?.type === 'VersionRegistered' ? registered.data.version : dto.version! };
  }
}
