import { Body, Controller, Param, Put, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiBody2xx } from '../../http/openapi.js';
import type { FastifyReply } from 'fastify';
import { RequireScopes } from '#auth';
import { Scopes } from '#domain';
import { RegistryQueries } from '#read-models';
import { Ctx, type RequestContext } from '../../application/request-context.js';
import { AliasParams } from '../shared/params.js';
import { versionAfterWrite } from '../shared/views.js';
import { SetAliasDto } from './set-alias.dto.js';
import { SetAliasHandler } from './set-alias.handler.js';

@ApiTags('aliases')
@ApiBearerAuth()
@Controller('v1/models/:name/aliases')
export class SetAliasController {
  constructor(
    private readonly handler: SetAliasHandler,
    private readonly queries: RegistryQueries,
  ) {}

  @Put(':alias')
  // Plain aliases need registry:write; protected ones (prod, champion) need registry:promote, checked by the decider.
  @RequireScopes(Scopes.write, Scopes.promote)
  @ApiBody2xx('Version')
  @ApiOperation({ summary: 'Point an alias at a version. Setting @prod is a promotion: same rules, same scope.' })
  async set(@Param() p: AliasParams, @Body() dto: SetAliasDto, @Ctx() ctx: RequestContext, @Res({ passthrough: true }) reply: FastifyReply) {
    const position = await this.handler.handle(p.name, p.alias, dto, ctx);
    return versionAfterWrite(this.queries, p.name, dto.version, position, reply);
  }
}
