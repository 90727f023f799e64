import { Controller, Get, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiBody2xx } from '../../http/openapi.js';
import { RequireScopes } from '#auth';
import { Scopes } from '#domain';
import { VersionParams } from '../shared/params.js';
import { GetVersionHandler } from './get-version.handler.js';

@ApiTags('versions')
@ApiBearerAuth()
@Controller('v1/models/:name/versions')
export class GetVersionController {
  constructor(private readonly handler: GetVersionHandler) {}

  @Get(':version')
  @RequireScopes(Scopes.read)
  @ApiBody2xx('Version')
  @ApiOperation({ summary: 'One version with stage, approval status, gates, approvals and aliases' })
  get(@Param() p: VersionParams) {
    return this.handler.handle(p.name, p.version);
  }
}
