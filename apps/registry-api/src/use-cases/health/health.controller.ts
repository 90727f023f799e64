import { Controller, Get, Inject, Optional, Res } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ApiBody2xx } from '../../http/openapi.js';
import type { FastifyReply } from 'fastify';
import { Public } from '#auth';
import type { EventStore } from '#event-store';
import { Projector } from '#read-models';
import { EVENT_STORE } from '../../infrastructure/tokens.js';
import { CommandService } from '../../application/command-service.js';
import { RELAY } from '../../infrastructure/relay.module.js';
import type { Relay } from '#relay';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly projector: Projector,
    private readonly commands: CommandService,
    @Optional() @Inject(RELAY) private readonly relay?: Relay | null,
  ) {}

  @Get('live')
  @Public()
  @ApiBody2xx('HealthLive')
  @ApiOperation({ summary: 'The process is up' })
  live() {
    return { status: 'ok' };
  }

  @Get('ready')
  @Public()
  @ApiBody2xx('HealthReady')
  @ApiResponse({ status: 503, description: 'The event store does not answer or projections are stalled', schema: { $ref: '#/components/schemas/HealthReady' } })
  @ApiOperation({ summary: 'The event store answers and projections are not stalled' })
  async ready(@Res({ passthrough: true }) reply: FastifyReply) {
    const checks: Record<string, unknown> = {};
    let ok = true;
    try {
      await this.store.ping();
      const lag = await this.projector.lag();
      const stalled = lag.stalled;
      checks.eventStore = { status: 'up', head: lag.head };
      checks.projections = { status: stalled ? 'stalled' : 'ok', position: this.projector.status().position, lag: lag.events, ...(lag.lastError ? { lastError: lag.lastError } : {}) };
      // Ready means ready for writes at normal latency: the hot model streams are folded first.
      const warmup = await this.commands.warmupStatus(1000);
      checks.warmup = warmup;
      ok = !stalled && warmup.status !== 'warming';
      // A lagging relay (broker down) is reported but keeps the API ready: writes must go on.
      if (this.relay) checks.relay = await this.relayCheck(this.relay);
    } catch (err) {
      ok = false;
      checks.eventStore = { status: 'down', error: err instanceof Error ? err.message : String(err) };
    }
    void reply.status(ok ? 200 : 503);
    return { status: ok ? 'ok' : 'unavailable', checks };
  }

  private async relayCheck(relay: Relay) {
    const s = relay.status();
    const lag = await relay.lag();
    const status = !s.leader ? 'standby' : s.consecutiveFailures > 0 ? 'failing' : lag.eventsBehind > 0 ? 'catching-up' : 'ok';
    return { status, ...lag, position: s.position, leader: s.leader, ...(s.lastError ? { lastError: s.lastError } : {}) };
  }
}
