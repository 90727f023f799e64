import { Body, Controller, Param, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiBody2xx } from '../../http/openapi.js';
import type { FastifyReply } from 'fastify';
import { RequireScopes } from '#auth';
import { Scopes } from '#domain';
import { RegistryQueries } from '#read-models';
import { Ctx, type RequestContext } from '../../application/request-context.js';
import { ModelParams } from '../shared/params.js';
import { versionAfterWrite } from '../shared/views.js';
import { RegisterVersionDto } from './register-version.dto.js';
import { RegisterVersionHandler } from './register-version.handler.js';

@ApiTags('versions')
@ApiBearerAuth()
@Controller('v1/models/:name/versions')
export class RegisterVersionController {
  constructor(
    private readonly handler: RegisterVersionHandler,
    private readonly queries: RegistryQueries,
  ) {}

  @Post()
  @RequireScopes(Scopes.write)
  @ApiBody2xx('Version', 201, 'Created')
  @ApiOperation({ summary: 'Register a version: artifact pointer and digest, signature, metrics, lineage. Starts in stage None, PendingManualApproval.' })
  async register(@Param() p: ModelParams, @Body() dto: RegisterVersionDto, @Ctx() ctx: RequestContext, @Res({ passthrough: true }) reply: FastifyReply) {
    const { position, version } = await this.handler.handle(p.name, dto, ctx);
    void reply.header('Location', `/v1/models/${p.name}/versions/${version}`);
    return versionAfterWrite(this.queries, p.name, version, position, reply);
  }
}
