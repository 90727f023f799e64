import { Controller, Get, Query, UseInterceptors } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiBody2xx } from '../../http/openapi.js';
import { RequireScopes } from '#auth';
import { Scopes } from '#domain';
import { AuditReadLog } from '../../http/audit-read-log.js';
import { AuditVerifyQuery } from './audit-verify.dto.js';
import { AuditVerifyHandler } from './audit-verify.handler.js';

@ApiTags('audit')
@ApiBearerAuth()
@UseInterceptors(AuditReadLog)
@Controller('v1/audit/verify')
export class AuditVerifyController {
  constructor(private readonly handler: AuditVerifyHandler) {}

  @Get()
  @RequireScopes(Scopes.audit)
  @ApiBody2xx('AuditVerify')
  @ApiOperation({
    summary: 'Recompute the hash chain and check every checkpoint signature',
    description: 'ok with the count and last verified position, or the first broken position and what is wrong (hash-mismatch, missing-position, reordered, bad-signature, checkpoint-mismatch).',
  })
  verify(@Query() q: AuditVerifyQuery) {
    return this.handler.handle(q.from, q.to);
  }
}
