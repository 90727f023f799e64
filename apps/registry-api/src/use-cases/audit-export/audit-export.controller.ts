import { Controller, Get, Query, Res, UseInterceptors } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { ApiText2xx } from '../../http/openapi.js';
import type { FastifyReply } from 'fastify';
import { Readable } from 'node:stream';
import { RequireScopes } from '#auth';
import { Scopes } from '#domain';
import { AuditReadLog } from '../../http/audit-read-log.js';
import { toAuditFilter } from '../shared/audit-filters.js';
import { AuditExportQuery } from './audit-export.dto.js';
import { AuditExportHandler } from './audit-export.handler.js';

@ApiTags('audit')
@ApiBearerAuth()
@UseInterceptors(AuditReadLog)
@Controller('v1/audit/export')
export class AuditExportController {
  constructor(private readonly handler: AuditExportHandler) {}

  @Get()
  @RequireScopes(Scopes.audit)
  @ApiProduces('application/x-ndjson', 'text/csv')
  @ApiText2xx('application/x-ndjson', 'text/csv')
  @ApiOperation({
    summary: 'Stream the audit trail as NDJSON or CSV (same filters as /v1/audit/events), each record with position, hash and prevHash',
    description: 'Streams with constant memory. An unfiltered NDJSON export can be verified offline: npm run audit -- verify-export file.ndjson --jwks keys.json',
  })
  export(@Query() q: AuditExportQuery, @Res() reply: FastifyReply): void {
    // Filters are parsed before the first byte, so bad input is still a problem+json response.
    const filter = toAuditFilter(q);
    const format = q.format ?? 'ndjson';
    void reply
      .header('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson')
      .header('content-disposition', `attachment; filename="audit-export.${format}"`)
      .send(Readable.from(this.handler.lines(filter, format)));
  }
}
