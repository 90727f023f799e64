import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, Matches, MaxLength } from 'class-validator';
import { Optional } from '../shared/validators.js';
import { PageQuery } from '../shared/paging.js';

export { PageQuery };

export class ListModelsQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'Name prefix' })
  @Optional()
  @IsString()
  @MaxLength(128)
  prefix?: string;

  @ApiPropertyOptional({ description: 'Tag key, or key=value (e.g. tag=domain%3Dmarketing); `key:value` is not a filter', example: 'domain=marketing' })
  @Optional()
  @IsString()
  @MaxLength(256)
  // `domain:marketing` used to match nothing silently; a colon without `=` is almost surely that mistake.
  // Control characters are excluded here too, so the documented pattern says what the server enforces.
  // eslint-disable-next-line no-control-regex -- the control characters are what this pattern refuses
  @Matches(/^(?:[^:=\u0000-\u001f\u007f-\u009f]+|[^=\u0000-\u001f\u007f-\u009f]+=[^\u0000-\u001f\u007f-\u009f]*)$/, { message: "tag must be a tag key or key=value (e.g. tag=domain=marketing, URL-encoded domain%3Dmarketing); 'key:value' is not a filter syntax" })
  tag?: string;

  @ApiPropertyOptional({ description: 'An owner' })
  @Optional()
  @IsString()
  @MaxLength(200)
  owner?: string;
}
