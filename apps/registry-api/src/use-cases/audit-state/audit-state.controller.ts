import { Controller, Get, Param, Query, UseInterceptors } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiBody2xx } from '../../http/openapi.js';
import { RequireScopes } from '#auth';
import { Scopes } from '#domain';
import { AuditReadLog } from '../../http/audit-read-log.js';
import { ModelParams } from '../shared/params.js';
import { AuditStateQuery } from './audit-state.dto.js';
import { AuditStateHandler } from './audit-state.handler.js';

@ApiTags('audit')
@ApiBearerAuth()
@UseInterceptors(AuditReadLog)
@Controller('v1/audit/models')
export class AuditStateController {
  constructor(private readonly handler: AuditStateHandler) {}

  @Get(':name/state')
  @RequireScopes(Scopes.audit)
  @ApiBody2xx('AuditState')
  @ApiOperation({ summary: "A model's full state at an instant or position, replayed from the event store; names the last event included" })
  state(@Param() params: ModelParams, @Query() q: AuditStateQuery) {
    return this.handler.handle(params.name, q);
  }
}
