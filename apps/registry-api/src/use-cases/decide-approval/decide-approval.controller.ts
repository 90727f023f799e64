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
import { DecideApprovalDto } from './decide-approval.dto.js';
import { DecideApprovalHandler } from './decide-approval.handler.js';

@ApiTags('governance')
@ApiBearerAuth()
@Controller('v1/models/:name/versions/:version/approvals')
export class DecideApprovalController {
  constructor(
    private readonly handler: DecideApprovalHandler,
    private readonly queries: RegistryQueries,
  ) {}

  @Post()
  @HttpCode(201)
  @RequireScopes(Scopes.approvals)
  @ApiBody2xx('Version', 201, 'Created')
  @ApiOperation({ summary: 'Approve or reject a version. The registrant cannot decide on their own version; a rejection is final.' })
  async decide(@Param() p: VersionParams, @Body() dto: DecideApprovalDto, @Ctx() ctx: RequestContext, @Res({ passthrough: true }) reply: FastifyReply) {
    const position = await this.handler.handle(p.name, p.version, dto, ctx);
    return versionAfterWrite(this.queries, p.name, p.version, position, reply);
  }
}
