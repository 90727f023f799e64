import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ApiBody2xx, ApiProblems } from '../../http/openapi.js';
import { RequireScopes } from '#auth';
import { ALIAS_PATTERN, MODEL_NAME_PATTERN, SEMVER_PATTERN, STAGES, Scopes } from '#domain';
import { ResolveHandler } from './resolve.handler.js';

/** The models:/ grammar parseModelUri accepts, for the OpenAPI document (ranges: ^ ~ >= <= > < = and x wildcards). */
const RANGE_TOKEN = String.raw`(\^|~|>=|<=|>|<|==|=)?(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*|[xX*])){0,2}`;
const MODEL_URI_PATTERN =
  `^models:/${MODEL_NAME_PATTERN.source.slice(1, -1)}` +
  `(@(${ALIAS_PATTERN.source.slice(1, -1)}|[ ,]*${RANGE_TOKEN}([ ,]+${RANGE_TOKEN})*[ ,]*)` +
  `|/(${SEMVER_PATTERN.source.slice(1, -1)}|${STAGES.join('|')}))$`;

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
    schema: { type: 'string', maxLength: 300, pattern: MODEL_URI_PATTERN },
    description: 'models:/{name}@{alias}, models:/{name}@{range} (^2.3, ~2.3, >=2.3 <3), models:/{name}/{version} or models:/{name}/{Stage}' })
  @ApiBody2xx('Version')
  @ApiProblems(404)
  @ApiOperation({ summary: 'Resolve models:/name@alias (or /version, /Stage) to the version with its artifact pointer and digest' })
  @ApiQuery({ name: 'stage', required: false, enum: ['Production', 'any'], description: 'For a range: Production (default) or any non-archived version' })
  resolve(@Query('uri') uri: unknown, @Query('stage') stage: unknown) {
    return this.handler.handle(uri, stage);
  }
}
