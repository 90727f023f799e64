import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsIn} from 'class-validator';
import { Optional } from '../shared/validators.js';
import { WithReason } from '../shared/reason.js';

export class TransitionStageDto extends WithReason {
  @ApiProperty({ enum: ['Staging', 'Production', 'Archived'] })
  @IsIn(['Staging', 'Production', 'Archived'])
  stage!: 'Staging' | 'Production' | 'Archived';

  @ApiPropertyOptional({ default: true, description: 'Archive the current Production version in the same step' })
  @Optional()
  @IsBoolean()
  archiveExisting?: boolean;
}
