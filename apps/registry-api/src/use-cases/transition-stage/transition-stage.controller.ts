import { Body, Controller, HttpCode, Param, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiBody2xx } from '../../http/openapi.js';
import type { FastifyReply } from 'fastify';
import { RequireScopes } from '#auth';
import { Scopes } from '#domain';
import { RegistryQueries } from '#read-models';
import { Ctx, type RequestContext } from '../../application/request-context.js';
import { VersionParams } from '../shared/params.js';
import { versionAfterWrite } from '../shared/views.js';
import { TransitionStageDto } from './transition-stage.dto.js';
import { TransitionStageHandler } from './transition-stage.handler.js';

@ApiTags('governance')
@ApiBearerAuth()
@Controller('v1/models/:name/versions/:version/transitions')
export class TransitionStageController {
  constructor(
    private readonly handler: TransitionStageHandler,
    private readonly queries: RegistryQueries,
  ) {}

  @Post()
  @HttpCode(200)
  // The decider asks for the cell's scope (docs/GOVERNANCE.md, authorization table): Production and Archived on either side need registry:promote.
  @RequireScopes(Scopes.write, Scopes.promote)
  @ApiBody2xx('Version')
  @ApiOperation({
    summary: 'Move a version between stages: None → Staging needs registry:write; entering or leaving Production or Archived needs registry:promote. Promotion archives the incumbent and moves @prod in one append.',
  })
  async transition(@Param() p: VersionParams, @Body() dto: TransitionStageDto, @Ctx() ctx: RequestContext, @Res({ passthrough: true }) reply: FastifyReply) {
    const position = await this.handler.handle(p.name, p.version, dto, ctx);
    return versionAfterWrite(this.queries, p.name, p.version, position, reply);
  }
}
