import { Controller, Get, Query, UseInterceptors } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiBody2xx } from '../../http/openapi.js';
import { RequireScopes } from '#auth';
import { Scopes } from '#domain';
import { AuditReadLog } from '../../http/audit-read-log.js';
import { AuditCheckpointsQuery } from './audit-checkpoints.dto.js';
import { AuditCheckpointsHandler } from './audit-checkpoints.handler.js';

@ApiTags('audit')
@ApiBearerAuth()
@UseInterceptors(AuditReadLog)
@Controller('v1/audit/checkpoints')
export class AuditCheckpointsController {
  constructor(private readonly handler: AuditCheckpointsHandler) {}

  @Get()
  @RequireScopes(Scopes.audit)
  @ApiBody2xx('Checkpoints')
  @ApiOperation({ summary: 'Signed checkpoints of the hash chain (newest first): each a compact JWS over {position, hash, recordedAt}' })
  list(@Query() q: AuditCheckpointsQuery) {
    return this.handler.handle(q.limit);
  }
}
