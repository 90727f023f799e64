import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiBody2xx } from '../../http/openapi.js';
import { RequireScopes } from '#auth';
import { Scopes } from '#domain';
import { ListModelsQuery } from './list-models.dto.js';
import { ListModelsHandler } from './list-models.handler.js';

@ApiTags('models')
@ApiBearerAuth()
@Controller('v1/models')
export class ListModelsController {
  constructor(private readonly handler: ListModelsHandler) {}

  @Get()
  @RequireScopes(Scopes.read)
  @ApiBody2xx('ModelPage')
  @ApiOperation({ summary: 'List models by name; filter by name prefix, tag or owner; cursor paging' })
  list(@Query() q: ListModelsQuery) {
    return this.handler.handle(q);
  }
}
