import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';
import { Optional } from '../shared/validators.js';
import { PageQuery } from '../shared/paging.js';

export { PageQuery };

export class ListModelsQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'Name prefix' })
  @Optional()
  @IsString()
  @MaxLength(128)
  prefix?: string;

  @ApiPropertyOptional({ description: 'Tag key, or key=value' })
  @Optional()
  @IsString()
  @MaxLength(256)
  tag?: string;

  @ApiPropertyOptional({ description: 'An owner' })
  @Optional()
  @IsString()
  @MaxLength(200)
  owner?: string;
}
