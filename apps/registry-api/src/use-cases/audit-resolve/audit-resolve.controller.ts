import { Controller, Get, Query, UseInterceptors } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiBody2xx, ApiProblems } from '../../http/openapi.js';
import { RequireScopes } from '#auth';
import { Scopes } from '#domain';
import { AuditReadLog } from '../../http/audit-read-log.js';
import { AuditResolveQuery } from './audit-resolve.dto.js';
import { AuditResolveHandler } from './audit-resolve.handler.js';

@ApiTags('audit')
@ApiBearerAuth()
@UseInterceptors(AuditReadLog)
@Controller('v1/audit/resolve')
export class AuditResolveController {
  constructor(private readonly handler: AuditResolveHandler) {}

  @Get()
  @RequireScopes(Scopes.audit)
  @ApiBody2xx('AuditResolve')
  @ApiProblems(404)
  @ApiOperation({ summary: 'What a models:/ URI resolved to at an instant, with lineage, approvals, gates and the promotion that put it there' })
  resolve(@Query() q: AuditResolveQuery) {
    return this.handler.handle(q.uri, q.at);
  }
}
