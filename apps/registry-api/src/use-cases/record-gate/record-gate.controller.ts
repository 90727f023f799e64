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
import { RecordGateDto } from './record-gate.dto.js';
import { RecordGateHandler } from './record-gate.handler.js';

@ApiTags('governance')
@ApiBearerAuth()
@Controller('v1/models/:name/versions/:version/gates')
export class RecordGateController {
  constructor(
    private readonly handler: RecordGateHandler,
    private readonly queries: RegistryQueries,
  ) {}

  @Post()
  @HttpCode(201)
  @RequireScopes(Scopes.gates)
  @ApiBody2xx('Version', 201, 'Created')
  @ApiOperation({ summary: 'Record a gate result (passed/failed) with metrics and an evidence link' })
  async record(@Param() p: VersionParams, @Body() dto: RecordGateDto, @Ctx() ctx: RequestContext, @Res({ passthrough: true }) reply: FastifyReply) {
    const position = await this.handler.handle(p.name, p.version, dto, ctx);
    return versionAfterWrite(this.queries, p.name, p.version, position, reply);
  }
}
