import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { APPROVAL_STATUSES, STAGES } from '../../../../../libs/domain/src/index.js';
import { PageQuery } from '../shared/paging.js';

export class ListVersionsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: STAGES })
  @IsOptional()
  @IsIn(STAGES as unknown as string[])
  stage?: string;

  @ApiPropertyOptional({ enum: APPROVAL_STATUSES })
  @IsOptional()
  @IsIn(APPROVAL_STATUSES as unknown as string[])
  approvalStatus?: string;
}
