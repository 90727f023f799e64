import { Body, Controller, HttpCode, Inject, Param, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiBody2xx } from '../../http/openapi.js';
import type { FastifyRequest } from 'fastify';
import { RequireScopes } from '../../../../../libs/auth/src/index.js';
import { Scopes } from '../../../../../libs/domain/src/index.js';
import { Ctx, type RequestContext } from '../../application/request-context.js';
import type { AppConfig } from '../../config.js';
import { APP_CONFIG } from '../../infrastructure/tokens.js';
import { VersionParams } from '../shared/params.js';
import { IssueApprovalLinksDto } from './issue-approval-links.dto.js';
import { IssueApprovalLinksHandler } from './issue-approval-links.handler.js';

@ApiTags('governance')
@ApiBearerAuth()
@Controller('v1/models/:name/versions/:version/approval-links')
export class IssueApprovalLinksController {
  constructor(
    private readonly handler: IssueApprovalLinksHandler,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Post()
  @HttpCode(201)
  @RequireScopes(Scopes.approvals, Scopes.promote)
  @ApiBody2xx('ApprovalLinks', 201, 'Created')
  @ApiOperation({
    summary: 'Issue one signed, single-use approval link per approver (Ed25519 JWS bound to approver, version and purpose). The token itself is not stored.',
  })
  issue(@Param() p: VersionParams, @Body() dto: IssueApprovalLinksDto, @Ctx() ctx: RequestContext, @Req() req: FastifyRequest) {
    const base = this.config.PUBLIC_BASE_URL?.replace(/\/+$/, '') ?? `${req.protocol}://${req.host}`;
    return this.handler.handle(p.name, p.version, dto, ctx, base);
  }
}
