import { Body, Controller, Get, Param, Post, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { randomBytes } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import { Public } from '#auth';
import { ApprovalPageHandler, type Refusal } from './approval-page.handler.js';
import { approvalPage, noticePage } from './approval-page.view.js';

/**
 * The approver's page. No login: the signed link is the credential, bound to one approver, one
 * version and the purpose "approval". No script runs on the page; the form posts the token back.
 */
@ApiExcludeController()
@Controller('approve')
export class ApprovalPageController {
  constructor(private readonly handler: ApprovalPageHandler) {}

  private send(reply: FastifyReply, status: number, render: (nonce: string) => string): void {
    const nonce = randomBytes(16).toString('base64');
    void reply
      .status(status)
      .header('Content-Type', 'text/html; charset=utf-8')
      .header('Content-Security-Policy', `default-src 'none'; style-src 'nonce-${nonce}'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`)
      .header('X-Frame-Options', 'DENY')
      .header('Referrer-Policy', 'no-referrer')
      .header('X-Content-Type-Options', 'nosniff')
      .header('Cache-Control', 'no-store')
      .send(render(nonce));
  }

  private refusal(reply: FastifyReply, r: Refusal): void {
    void reply.header('X-Refusal-Code', r.code);
    this.send(reply, r.status, (nonce) => noticePage(r.title, r.message, false, nonce, r.details));
  }

  @Get(':token')
  @Public()
  async show(@Param('token') token: string, @Res() reply: FastifyReply): Promise<void> {
    const seen = await this.handler.inspect(token);
    if (!seen.ok) return this.refusal(reply, seen.refusal);
    this.send(reply, 200, (nonce) => approvalPage(seen.page, nonce));
  }

  @Post(':token')
  @Public()
  async decide(@Param('token') token: string, @Body() body: unknown, @Res() reply: FastifyReply): Promise<void> {
    const form = body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
    const done = await this.handler.decide(token, form);
    if (!done.ok) return this.refusal(reply, done.refusal);
    this.send(reply, 200, (nonce) => noticePage(done.title, done.message, true, nonce, done.details));
  }
}
