import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsString, MaxLength } from 'class-validator';
import { Optional } from '../shared/validators.js';
import { WithReason } from '../shared/reason.js';

export class DecideApprovalDto extends WithReason {
  @ApiProperty({ enum: ['approve', 'reject'] })
  @IsIn(['approve', 'reject'])
  decision!: 'approve' | 'reject';

  @ApiPropertyOptional({ maxLength: 4000 })
  @Optional()
  @IsString()
  @MaxLength(4000)
  comment?: string;
}
