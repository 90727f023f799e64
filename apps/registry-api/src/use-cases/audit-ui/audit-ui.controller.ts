import { Controller, Get, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { randomBytes } from 'node:crypto';
import { Public } from '#auth';
import { auditPage } from './audit-ui.page.js';

/** The page itself holds no data, so it is public; every call it makes needs a token with audit:read. */
@ApiExcludeController()
@Controller('audit/ui')
export class AuditUiController {
  @Get()
  @Public()
  page(@Res() reply: FastifyReply): void {
    const nonce = randomBytes(16).toString('base64');
    void reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('content-security-policy', `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'unsafe-inline'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`)
      .header('cache-control', 'no-store')
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('x-frame-options', 'DENY')
      .send(auditPage(nonce));
  }
}
