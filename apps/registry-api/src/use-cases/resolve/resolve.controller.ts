import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ApiBody2xx, ApiProblems } from '../../http/openapi.js';
import { RequireScopes } from '../../../../../libs/auth/src/index.js';
import { MODEL_NAME_PATTERN, Scopes } from '../../../../../libs/domain/src/index.js';
import { ResolveHandler } from './resolve.handler.js';

@ApiTags('resolve')
@ApiBearerAuth()
@Controller('v1/resolve')
export class ResolveController {
  constructor(private readonly handler: ResolveHandler) {}

  // The hot read path: `uri` is checked by parseModelUri itself (it names the field on failure),
  // so no DTO round trip through class-transformer/class-validator.
  @Get()
  @RequireScopes(Scopes.read)
  @ApiQuery({
    name: 'uri',
    required: true,
    example: 'models:/churn@prod',
    schema: { type: 'string', maxLength: 300, pattern: `^models:/${MODEL_NAME_PATTERN.source.slice(1, -1)}[@/][^\\u0000-\\u001f\\u007f-\\u009f]+$` },
    description: 'models:/{name}@{alias}, models:/{name}@{range} (^2.3, ~2.3, >=2.3 <3), models:/{name}/{version} or models:/{name}/{Stage}' })
  @ApiBody2xx('Version')
  @ApiProblems(404)
  @ApiOperation({ summary: 'Resolve models:/name@alias (or /version, /Stage) to the version with its artifact pointer and digest' })
  @ApiQuery({ name: 'stage', required: false, enum: ['Production', 'any'], description: 'For a range: Production (default) or any non-archived version' })
  resolve(@Query('uri') uri: unknown, @Query('stage') stage: unknown) {
    return this.handler.handle(uri, stage);
  }
}
