import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsString, Max, MaxLength, Min } from 'class-validator';
import { Optional } from './validators.js';

export class LimitQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 50 })
  @Optional()
  @Transform(({ value }) => (value === undefined ? undefined : Number(value)))
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}

export class PageQuery extends LimitQuery {
  @ApiPropertyOptional({ description: 'Opaque cursor from the previous page' })
  @Optional()
  @IsString()
  @MaxLength(512)
  cursor?: string;
}
