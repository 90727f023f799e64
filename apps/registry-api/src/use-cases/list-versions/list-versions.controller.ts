import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiBody2xx } from '../../http/openapi.js';
import { RequireScopes } from '#auth';
import { Scopes } from '#domain';
import { ModelParams } from '../shared/params.js';
import { ListVersionsQuery } from './list-versions.dto.js';
import { ListVersionsHandler } from './list-versions.handler.js';

@ApiTags('versions')
@ApiBearerAuth()
@Controller('v1/models/:name/versions')
export class ListVersionsController {
  constructor(private readonly handler: ListVersionsHandler) {}

  @Get()
  @RequireScopes(Scopes.read)
  @ApiBody2xx('VersionPage')
  @ApiOperation({ summary: 'Versions of a model, newest registration first; filter by stage and approval status' })
  list(@Param() p: ModelParams, @Query() q: ListVersionsQuery) {
    return this.handler.handle(p.name, q);
  }
}
