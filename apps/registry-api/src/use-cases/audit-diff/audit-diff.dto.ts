import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsRFC3339 } from 'class-validator';

export class AuditDiffQuery {
  @ApiProperty({ description: 'RFC 3339 instant', example: '2026-03-03T14:00:00Z' })
  @IsRFC3339({ message: 'from must be an RFC 3339 instant, e.g. 2026-03-03T14:00:00Z' })
  from!: string;

  @ApiPropertyOptional({ description: 'RFC 3339 instant (default: now)' })
  @IsOptional()
  @IsRFC3339({ message: 'to must be an RFC 3339 instant, e.g. 2026-03-03T14:00:00Z' })
  to?: string;
}
