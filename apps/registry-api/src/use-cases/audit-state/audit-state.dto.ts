import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, Min } from 'class-validator';
import { Optional } from '../shared/validators.js';
import { IsInstant } from '../shared/instant.js';

export class AuditStateQuery {
  @ApiPropertyOptional({ description: 'RFC 3339 instant: the state after every event recorded at or before it', example: '2026-03-03T14:00:00Z' })
  @Optional()
  @IsInstant()
  at?: string;

  @ApiPropertyOptional({ description: 'Global position: the state after every event at or before it' })
  @Optional()
  @Transform(({ value }) => (value === undefined || value === '' ? undefined : Number(value)))
  @IsInt()
  @Min(1)
  position?: number;
}
