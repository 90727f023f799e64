import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInstant } from '../shared/instant.js';
import { Optional } from '../shared/validators.js';

export class AuditDiffQuery {
  @ApiProperty({ description: 'RFC 3339 instant', example: '2026-03-03T14:00:00Z' })
  @IsInstant()
  from!: string;

  @ApiPropertyOptional({ description: 'RFC 3339 instant (default: now)' })
  @Optional()
  @IsInstant()
  to?: string;
}
