import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { MODEL_NAME_PATTERN } from '../../../../../libs/domain/src/index.js';
import { IsStringRecord } from '../shared/validators.js';
import { WithReason } from '../shared/reason.js';

export class CreateModelDto extends WithReason {
  @ApiProperty({ example: 'churn', pattern: MODEL_NAME_PATTERN.source })
  @IsString()
  @Matches(MODEL_NAME_PATTERN, { message: `name must match ${MODEL_NAME_PATTERN.source}` })
  name!: string;

  @ApiPropertyOptional({ maxLength: 4000 })
  @IsOptional()
  @IsString()
  @MaxLength(4000)
  description?: string;

  @ApiPropertyOptional({ type: [String], example: ['team-retention'] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @MaxLength(200, { each: true })
  owners?: string[];

  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' }, example: { domain: 'marketing' } })
  @IsOptional()
  @IsStringRecord()
  tags?: Record<string, string>;
}
