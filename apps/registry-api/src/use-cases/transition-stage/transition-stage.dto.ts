import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn, IsOptional } from 'class-validator';
import { WithReason } from '../shared/reason.js';

export class TransitionStageDto extends WithReason {
  @ApiProperty({ enum: ['Staging', 'Production', 'Archived'] })
  @IsIn(['Staging', 'Production', 'Archived'])
  stage!: 'Staging' | 'Production' | 'Archived';

  @ApiPropertyOptional({ default: true, description: 'Archive the current Production version in the same step' })
  @IsOptional()
  @IsBoolean()
  archiveExisting?: boolean;
}
