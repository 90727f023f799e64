import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';
import { Optional } from '../shared/validators.js';
import { IsInstant } from '../shared/instant.js';

export class AuditResolveQuery {
  @ApiProperty({ example: 'models:/churn@prod' })
  @IsString()
  @MaxLength(300)
  uri!: string;

  @ApiPropertyOptional({ description: 'RFC 3339 instant (default: now)', example: '2026-03-03T14:00:00Z' })
  @Optional()
  @IsInstant()
  at?: string;
}
