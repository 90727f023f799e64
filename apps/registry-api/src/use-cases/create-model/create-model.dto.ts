import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsString, Matches, MaxLength } from 'class-validator';
import { MODEL_NAME_PATTERN } from '#domain';
import { IsStringRecord, Optional } from '../shared/validators.js';
import { WithReason } from '../shared/reason.js';

export class CreateModelDto extends WithReason {
  @ApiProperty({ example: 'churn', pattern: MODEL_NAME_PATTERN.source })
  @IsString()
  @Matches(MODEL_NAME_PATTERN, { message: `name must match ${MODEL_NAME_PATTERN.source}` })
  name!: string;

  @ApiPropertyOptional({ maxLength: 4000 })
  @Optional()
  @IsString()
  @MaxLength(4000)
  description?: string;

  @ApiPropertyOptional({ type: [String], example: ['team-retention'] })
  @Optional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @MaxLength(200, { each: true })
  owners?: string[];

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' }, example: { domain: 'marketing' } })
  @Optional()
  @IsStringRecord()
  tags?: Record<string, string>;
}
