import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsString, Max, MaxLength, Min } from 'class-validator';
import { Optional } from '../shared/validators.js';
import { AuditFilterQuery } from '../shared/audit-filters.js';

export class AuditEventsQuery extends AuditFilterQuery {
  @ApiPropertyOptional({ description: 'Opaque cursor from the previous page' })
  @Optional()
  @IsString()
  @MaxLength(512)
  cursor?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 50 })
  @Optional()
  @Transform(({ value }) => (value === undefined ? undefined : Number(value)))
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;

  @ApiPropertyOptional({ enum: ['desc', 'asc'], default: 'desc', description: 'desc: newest first' })
  @Optional()
  @IsIn(['asc', 'desc'])
  order?: 'asc' | 'desc';
}
