import { Body, Controller, HttpCode, Param, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiBody2xx } from '../../http/openapi.js';
import type { FastifyReply } from 'fastify';
import { RequireScopes } from '#auth';
import { Scopes } from '#domain';
import { RegistryQueries } from '#read-models';
import { Ctx, type RequestContext } from '../../application/request-context.js';
import { ModelParams } from '../shared/params.js';
import { versionAfterWrite } from '../shared/views.js';
import { RollbackDto } from './rollback.dto.js';
import { RollbackHandler } from './rollback.handler.js';

@ApiTags('governance')
@ApiBearerAuth()
@Controller('v1/models/:name/rollback')
export class RollbackController {
  constructor(
    private readonly handler: RollbackHandler,
    private readonly queries: RegistryQueries,
  ) {}

  @Post()
  @HttpCode(200)
  @RequireScopes(Scopes.promote)
  @ApiBody2xx('Version')
  @ApiOperation({ summary: 'Roll back: one alias flip to a version that served before. Archives the current Production version; never retrains.' })
  async rollback(@Param() p: ModelParams, @Body() dto: RollbackDto, @Ctx() ctx: RequestContext, @Res({ passthrough: true }) reply: FastifyReply) {
    const position = await this.handler.handle(p.name, dto, ctx);
    return versionAfterWrite(this.queries, p.name, dto.toVersion, position, reply);
  }
}
