import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, Matches } from 'class-validator';
import { Optional } from '../shared/validators.js';
import { MODEL_NAME_PATTERN } from '#domain';
import { PageQuery } from '../shared/paging.js';

export class ApprovalQueueQuery extends PageQuery {
  @ApiPropertyOptional({ enum: ['PendingManualApproval'], default: 'PendingManualApproval' })
  @Optional()
  @IsIn(['PendingManualApproval'], { message: 'the queue holds PendingManualApproval versions; list decided ones with GET /v1/models/{name}/versions?approvalStatus=' })
  status?: string;

  @ApiPropertyOptional({ description: 'Only this model' })
  @Optional()
  @Matches(MODEL_NAME_PATTERN)
  model?: string;
}
