import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsRFC3339, IsString, MaxLength } from 'class-validator';

export class AuditResolveQuery {
  @ApiProperty({ example: 'models:/churn@prod' })
  @IsString()
  @MaxLength(300)
  uri!: string;

  @ApiPropertyOptional({ description: 'RFC 3339 instant (default: now)', example: '2026-03-03T14:00:00Z' })
  @IsOptional()
  @IsRFC3339({ message: 'at must be an RFC 3339 instant, e.g. 2026-03-03T14:00:00Z' })
  at?: string;
}
