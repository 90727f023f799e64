import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiBody2xx } from '../../http/openapi.js';
import { RequireScopes } from '#auth';
import { Scopes } from '#domain';
import { VersionParams } from '../shared/params.js';
import { ReadinessQuery } from './get-readiness.dto.js';
import { GetReadinessHandler } from './get-readiness.handler.js';

@ApiTags('governance')
@ApiBearerAuth()
@Controller('v1/models/:name/versions/:version/readiness')
export class GetReadinessController {
  constructor(private readonly handler: GetReadinessHandler) {}

  @Get()
  @RequireScopes(Scopes.read)
  @ApiBody2xx('Readiness')
  @ApiOperation({ summary: 'The promotion checklist (approvals, every gate with its evidence, the policy that judges it) without promoting' })
  readiness(@Param() p: VersionParams, @Query() q: ReadinessQuery) {
    return this.handler.handle(p.name, p.version, q.target);
  }
}
