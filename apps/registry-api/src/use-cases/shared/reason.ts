import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';
import { Optional } from './validators.js';

/** Every write may say why; the reason is kept in the event envelope. */
export class WithReason {
  @ApiPropertyOptional({ description: 'Why this change is made; recorded in the audit trail', maxLength: 2000 })
  @Optional()
  @IsString()
  @MaxLength(2000)
  reason?: string;
}
