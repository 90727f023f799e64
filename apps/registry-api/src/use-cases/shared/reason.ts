import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';

/** Every write may say why; the reason is kept in the event envelope. */
export class WithReason {
  @ApiPropertyOptional({ description: 'Why this change is made; recorded in the audit trail', maxLength: 2000 })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  reason?: string;
}
