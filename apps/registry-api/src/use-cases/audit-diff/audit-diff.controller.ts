import { Controller, Get, Param, Query, UseInterceptors } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiBody2xx } from '../../http/openapi.js';
import { RequireScopes } from '#auth';
import { Scopes } from '#domain';
import { AuditReadLog } from '../../http/audit-read-log.js';
import { ModelParams } from '../shared/params.js';
import { AuditDiffQuery } from './audit-diff.dto.js';
import { AuditDiffHandler } from './audit-diff.handler.js';

@ApiTags('audit')
@ApiBearerAuth()
@UseInterceptors(AuditReadLog)
@Controller('v1/audit/models')
export class AuditDiffController {
  constructor(private readonly handler: AuditDiffHandler) {}

  @Get(':name/diff')
  @RequireScopes(Scopes.audit)
  @ApiBody2xx('AuditDiff')
  @ApiOperation({ summary: 'What changed in a model between two instants: the events, and before/after of each changed field (JSON Pointer paths)' })
  diff(@Param() params: ModelParams, @Query() q: AuditDiffQuery) {
    return this.handler.handle(params.name, q.from, q.to);
  }
}
