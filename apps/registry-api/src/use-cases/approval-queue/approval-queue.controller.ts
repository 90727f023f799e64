import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiBody2xx } from '../../http/openapi.js';
import { RequireScopes } from '#auth';
import { Scopes } from '#domain';
import { ApprovalQueueQuery } from './approval-queue.dto.js';
import { ApprovalQueueHandler } from './approval-queue.handler.js';

@ApiTags('governance')
@ApiBearerAuth()
@Controller('v1/approvals')
export class ApprovalQueueController {
  constructor(private readonly handler: ApprovalQueueHandler) {}

  @Get()
  @RequireScopes(Scopes.read)
  @ApiBody2xx('QueuePage')
  @ApiOperation({ summary: 'Versions waiting for approval, oldest first' })
  list(@Query() q: ApprovalQueueQuery) {
    return this.handler.handle(q);
  }
}
