import { Controller, Get, Headers, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ApiText2xx } from '../../http/openapi.js';
import type { FastifyReply } from 'fastify';
import { CurrentActor, RequireScopes, type VerifiedActor } from '#auth';
import { MODEL_EVENT_TYPES, MODEL_NAME_PATTERN, Scopes } from '#domain';
import { CLOUDEVENT_TYPES } from '#relay';
import { BASE_SECURITY_HEADERS } from '../../http/security-headers.js';
import { EventStreamHandler, parseStreamFilter } from './event-stream.handler.js';

@ApiTags('events')
@ApiBearerAuth()
@Controller('v1/events')
export class EventStreamController {
  constructor(private readonly handler: EventStreamHandler) {}

  @Get('stream')
  @RequireScopes(Scopes.read)
  @ApiText2xx('text/event-stream')
  @ApiOperation({ summary: 'Server-Sent Events of registry events as CloudEvents 1.0 (id = position; resume with Last-Event-ID)' })
  @ApiProduces('text/event-stream')
  @ApiQuery({
    name: 'types',
    required: false,
    description: 'comma-separated CloudEvents types or stored event types',
    style: 'form',
    explode: false,
    schema: { type: 'array', items: { type: 'string', enum: [...MODEL_EVENT_TYPES, ...Object.values(CLOUDEVENT_TYPES)] } },
  })
  @ApiQuery({ name: 'model', required: false, schema: { type: 'string', pattern: MODEL_NAME_PATTERN.source } })
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'position of the last event received', schema: { type: 'string', pattern: '^[0-9]{0,15}$' } })
  async stream(
    @Query('types') types: string | undefined,
    @Query('model') model: string | undefined,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Res() reply: FastifyReply,
    @CurrentActor() actor: VerifiedActor,
  ): Promise<void> {
    // Validated before the stream opens, so bad input is still a problem+json response.
    const filter = parseStreamFilter({ types, model }, lastEventId);
    await this.handler.checkResumePoint(filter);
    // Fastify would end the response when the handler returns; take the raw socket over instead.
    reply.hijack();
    reply.raw.writeHead(200, {
      ...BASE_SECURITY_HEADERS,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    // The stream ends when the token does (`exp` is required by the verifier).
    this.handler.stream(reply.raw, filter, undefined, Number(actor.claims.exp) * 1000);
  }
}
