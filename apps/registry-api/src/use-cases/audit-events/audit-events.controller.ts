import { Controller, Get, Query, UseInterceptors } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiBody2xx } from '../../http/openapi.js';
import { RequireScopes } from '#auth';
import { Scopes } from '#domain';
import { AuditReadLog } from '../../http/audit-read-log.js';
import { AuditEventsQuery } from './audit-events.dto.js';
import { AuditEventsHandler } from './audit-events.handler.js';

@ApiTags('audit')
@ApiBearerAuth()
@UseInterceptors(AuditReadLog)
@Controller('v1/audit/events')
export class AuditEventsController {
  constructor(private readonly handler: AuditEventsHandler) {}

  @Get()
  @RequireScopes(Scopes.audit)
  @ApiBody2xx('AuditPage')
  @ApiOperation({ summary: 'The audit trail filtered by model, version, actor, type, time range and correlation id; cursor paging, newest or oldest first' })
  list(@Query() q: AuditEventsQuery) {
    return this.handler.handle(q);
  }
}
