import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn} from 'class-validator';
import { Optional } from '../shared/validators.js';
import { APPROVAL_STATUSES, STAGES } from '#domain';
import { PageQuery } from '../shared/paging.js';

export class ListVersionsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: STAGES })
  @Optional()
  @IsIn(STAGES as unknown as string[])
  stage?: string;

  @ApiPropertyOptional({ enum: APPROVAL_STATUSES })
  @Optional()
  @IsIn(APPROVAL_STATUSES as unknown as string[])
  approvalStatus?: string;
}
