import { Controller, Delete, HttpCode, Param, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiBody2xx } from '../../http/openapi.js';
import type { FastifyReply } from 'fastify';
import { RequireScopes } from '#auth';
import { Scopes } from '#domain';
import { Ctx, type RequestContext } from '../../application/request-context.js';
import { AliasParams } from '../shared/params.js';
import { RemoveAliasQuery } from './remove-alias.dto.js';
import { RemoveAliasHandler } from './remove-alias.handler.js';

@ApiTags('aliases')
@ApiBearerAuth()
@Controller('v1/models/:name/aliases')
export class RemoveAliasController {
  constructor(private readonly handler: RemoveAliasHandler) {}

  @Delete(':alias')
  @HttpCode(200)
  @RequireScopes(Scopes.write, Scopes.promote)
  @ApiBody2xx('AliasRemoved')
  @ApiOperation({ summary: 'Remove an alias. @prod follows the Production stage and cannot be removed on its own.' })
  async remove(@Param() p: AliasParams, @Query() q: RemoveAliasQuery, @Ctx() ctx: RequestContext, @Res({ passthrough: true }) reply: FastifyReply) {
    const position = await this.handler.handle(p.name, p.alias, ctx, q.reason);
    void reply.header('X-Ledger-Position', String(position));
    return { name: p.name, alias: p.alias, removed: true, position };
  }
}
