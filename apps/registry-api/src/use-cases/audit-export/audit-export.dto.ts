import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn} from 'class-validator';
import { Optional } from '../shared/validators.js';
import { AuditFilterQuery } from '../shared/audit-filters.js';

export class AuditExportQuery extends AuditFilterQuery {
  @ApiPropertyOptional({ enum: ['ndjson', 'csv'], default: 'ndjson' })
  @Optional()
  @IsIn(['ndjson', 'csv'])
  format?: 'ndjson' | 'csv';
}
