import { Body, Controller, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiBody2xx } from '../../http/openapi.js';
import { RequireScopes } from '#auth';
import { Scopes } from '#domain';
import { Ctx, type RequestContext } from '../../application/request-context.js';
import { VersionParams } from '../shared/params.js';
import { IssueApprovalLinksDto } from './issue-approval-links.dto.js';
import { IssueApprovalLinksHandler } from './issue-approval-links.handler.js';

@ApiTags('governance')
@ApiBearerAuth()
@Controller('v1/models/:name/versions/:version/approval-links')
export class IssueApprovalLinksController {
  constructor(private readonly handler: IssueApprovalLinksHandler) {}

  @Post()
  @HttpCode(201)
  @RequireScopes(Scopes.approvals, Scopes.promote)
  @ApiBody2xx('ApprovalLinks', 201, 'Created')
  @ApiOperation({
    summary:
      'Request approval from named approvers of the approver directory: one signed, single-use link each, delivered to the approver by email, webhook or (development) the outbox file. ' +
      'The answer lists who is notified and how — never the token or URL. The registrant, the caller, and anyone not allowed to approve this model are refused.',
  })
  issue(@Param() p: VersionParams, @Body() dto: IssueApprovalLinksDto, @Ctx() ctx: RequestContext) {
    return this.handler.handle(p.name, p.version, dto, ctx);
  }
}
