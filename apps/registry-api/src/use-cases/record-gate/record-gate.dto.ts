import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsString, Matches, MaxLength } from 'class-validator';
import { WithReason } from '../shared/reason.js';
import { IsNumberRecord, Optional } from '../shared/validators.js';

export class RecordGateDto extends WithReason {
  @ApiProperty({ example: 'offline-quality', pattern: '^[a-z0-9][a-z0-9._-]{0,63}$' })
  @IsString()
  @Matches(/^[a-z0-9][a-z0-9._-]{0,63}$/, { message: 'gate must match ^[a-z0-9][a-z0-9._-]{0,63}$' })
  gate!: string;

  @ApiProperty({ enum: ['passed', 'failed'] })
  @IsIn(['passed', 'failed'])
  status!: 'passed' | 'failed';

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'number' }, example: { auc: 0.91 } })
  @Optional()
  @IsNumberRecord()
  metrics?: Record<string, number>;

  @ApiPropertyOptional({ example: 'https://ci.example.com/runs/42' })
  @Optional()
  @IsString()
  @MaxLength(2048)
  evidenceUri?: string;
}
