import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { PageQuery } from '../shared/paging.js';

export { PageQuery };

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
