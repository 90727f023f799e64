import { Body, Controller, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiBody2xx } from '../../http/openapi.js';
import type { FastifyReply } from 'fastify';
import { RequireScopes } from '#auth';
import { Scopes } from '#domain';
import { RegistryQueries } from '#read-models';
import { Ctx, type RequestContext } from '../../application/request-context.js';
import { presentModel } from '../shared/views.js';
import { CreateModelDto } from './create-model.dto.js';
import { CreateModelHandler } from './create-model.handler.js';

@ApiTags('models')
@ApiBearerAuth()
@Controller('v1/models')
export class CreateModelController {
  constructor(
    private readonly handler: CreateModelHandler,
    private readonly queries: RegistryQueries,
  ) {}

  @Post()
  @RequireScopes(Scopes.write)
  @ApiBody2xx('Model', 201, 'Created')
  @ApiOperation({ summary: 'Create a model (the aggregate its versions belong to)' })
  async create(@Body() dto: CreateModelDto, @Ctx() ctx: RequestContext, @Res({ passthrough: true }) reply: FastifyReply) {
    const position = await this.handler.handle(dto, ctx);
    void reply.header('Location', `/v1/models/${dto.name}`).header('X-Ledger-Position', String(position));
    return presentModel((await this.queries.getModel(dto.name))!, position);
  }
}
