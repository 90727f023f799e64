import { Controller, Get, Headers, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiProblems } from '../../http/openapi.js';
import { RequireScopes } from '#auth';
import { ALIAS_PATTERN, MODEL_NAME_PATTERN, SEMVER_PATTERN, STAGES, Scopes } from '#domain';
import { matchesIfNoneMatch, type ResolvedAnswer } from './resolve-cache.js';
import { ResolveHandler } from './resolve.handler.js';

/** The models:/ grammar parseModelUri accepts, for the OpenAPI document (ranges: ^ ~ >= <= > < = and x wildcards). */
const RANGE_TOKEN = String.raw`(\^|~|>=|<=|>|<|==|=)?(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*|[xX*])){0,2}`;
const MODEL_URI_PATTERN =
  `^models:/${MODEL_NAME_PATTERN.source.slice(1, -1)}` +
  `(@(${ALIAS_PATTERN.source.slice(1, -1)}|[ ,]*${RANGE_TOKEN}([ ,]+${RANGE_TOKEN})*[ ,]*)` +
  `|/(${SEMVER_PATTERN.source.slice(1, -1)}|${STAGES.join('|')}))$`;

/** 200 with the body and its ETag, or 304 when the caller already holds that ETag. */
export function sendResolved(reply: FastifyReply, answer: ResolvedAnswer, ifNoneMatch: string | string[] | undefined): FastifyReply {
  // `no-cache`: a cache may keep it but must revalidate (a 304 costs the server almost nothing);
  // `private`: the answer depends on the caller's token.
  reply.header('etag', answer.etag).header('cache-control', 'private, no-cache');
  if (matchesIfNoneMatch(ifNoneMatch, answer.etag)) return reply.code(304).send();
  return reply.code(200).header('content-type', 'application/json; charset=utf-8').send(answer.body);
}

@ApiTags('resolve')
@ApiBearerAuth()
@Controller('v1/resolve')
export class ResolveController {
  constructor(private readonly handler: ResolveHandler) {}

  // The hot read path: `uri` is checked by parseModelUri itself (it names the field on failure),
  // so no DTO round trip through class-transformer/class-validator. Cache hits with an already
  // verified token are answered by the HTTP server before Fastify (resolve.edge.ts).
  @Get()
  @RequireScopes(Scopes.read)
  @ApiQuery({
    name: 'uri',
    required: true,
    example: 'models:/churn@prod',
    schema: { type: 'string', maxLength: 300, pattern: MODEL_URI_PATTERN },
    description: 'models:/{name}@{alias}, models:/{name}@{range} (^2.3, ~2.3, >=2.3 <3), models:/{name}/{version} or models:/{name}/{Stage}' })
  @ApiResponse({ status: 200, description: 'OK', schema: { $ref: '#/components/schemas/Version' }, headers: { ETag: { description: 'Strong validator of this body', schema: { type: 'string' } } } })
  @ApiResponse({ status: 304, description: 'Not modified: the If-None-Match ETag is still current' })
  @ApiProblems(404)
  @ApiOperation({
    summary: 'Resolve models:/name@alias (or /version, /Stage) to the version with its artifact pointer and digest',
    description: 'The ETag changes whenever the body would (alias moved, stage changed, archive, new approval…); poll with If-None-Match and get 304 while nothing changed.',
  })
  @ApiQuery({ name: 'stage', required: false, enum: ['Production', 'any'], description: 'For a range: Production (default) or any non-archived version' })
  @ApiHeader({ name: 'If-None-Match', required: false, description: 'An ETag from an earlier answer: 304 Not Modified while it is still current' })
  async resolve(@Query('uri') uri: unknown, @Query('stage') stage: unknown, @Headers('if-none-match') ifNoneMatch: string | undefined, @Res() reply: FastifyReply) {
    sendResolved(reply, await this.handler.answer(uri, stage), ifNoneMatch);
  }
}
