import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

export class PageQuery {
  @ApiPropertyOptional({ description: 'Opaque cursor from the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  cursor?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 500, default: 50 })
  @IsOptional()
  @Transform(({ value }) => (value === undefined ? undefined : Number(value)))
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}

export class ListModelsQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'Name prefix' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  prefix?: string;

  @ApiPropertyOptional({ description: 'Tag key, or key=value' })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  tag?: string;

  @ApiPropertyOptional({ description: 'An owner' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  owner?: string;
}
