import { Controller, Get, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiBody2xx } from '../../http/openapi.js';
import { RequireScopes } from '#auth';
import { Scopes } from '#domain';
import { ModelParams } from '../shared/params.js';
import { GetModelHandler } from './get-model.handler.js';

@ApiTags('models')
@ApiBearerAuth()
@Controller('v1/models')
export class GetModelController {
  constructor(private readonly handler: GetModelHandler) {}

  @Get(':name')
  @RequireScopes(Scopes.read)
  @ApiBody2xx('Model')
  @ApiOperation({ summary: 'A model with its aliases and the latest version in each stage' })
  get(@Param() params: ModelParams) {
    return this.handler.handle(params.name);
  }
}
