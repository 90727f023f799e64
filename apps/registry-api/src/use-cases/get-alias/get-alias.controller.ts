import { Controller, Get, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiBody2xx } from '../../http/openapi.js';
import { RequireScopes } from '#auth';
import { Scopes } from '#domain';
import { AliasParams } from '../shared/params.js';
import { GetAliasHandler } from './get-alias.handler.js';

@ApiTags('aliases')
@ApiBearerAuth()
@Controller('v1/models/:name/aliases')
export class GetAliasController {
  constructor(private readonly handler: GetAliasHandler) {}

  @Get(':alias')
  @RequireScopes(Scopes.read)
  @ApiBody2xx('Version')
  @ApiOperation({ summary: 'The version an alias points at' })
  get(@Param() p: AliasParams) {
    return this.handler.handle(p.name, p.alias);
  }
}
