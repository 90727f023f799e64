import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, Matches } from 'class-validator';
import { MODEL_NAME_PATTERN } from '../../../../../libs/domain/src/index.js';
import { PageQuery } from '../shared/paging.js';

export class ApprovalQueueQuery extends PageQuery {
  @ApiPropertyOptional({ enum: ['PendingManualApproval'], default: 'PendingManualApproval' })
  @IsOptional()
  @IsIn(['PendingManualApproval'], { message: 'the queue holds PendingManualApproval versions; list decided ones with GET /v1/models/{name}/versions?approvalStatus=' })
  status?: string;

  @ApiPropertyOptional({ description: 'Only this model' })
  @IsOptional()
  @Matches(MODEL_NAME_PATTERN)
  model?: string;
}
