import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequireScopes } from '../../../../../libs/auth/src/index.js';
import { Scopes } from '../../../../../libs/domain/src/index.js';
import { ResolveQuery } from './resolve.dto.js';
import { ResolveHandler } from './resolve.handler.js';

@ApiTags('resolve')
@ApiBearerAuth()
@Controller('v1/resolve')
export class ResolveController {
  constructor(private readonly handler: ResolveHandler) {}

  @Get()
  @RequireScopes(Scopes.read)
  @ApiOperation({ summary: 'Resolve models:/name@alias (or /version, /Stage) to the version with its artifact pointer and digest' })
  resolve(@Query() q: ResolveQuery) {
    return this.handler.handle(q.uri, q.stage);
  }
}
