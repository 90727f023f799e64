import { Controller, Get, Inject, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../../../../../libs/auth/src/index.js';
import type { EventStore } from '../../../../../libs/event-store/src/index.js';
import { Projector } from '../../../../../libs/read-models/src/index.js';
import { EVENT_STORE } from '../../infrastructure/tokens.js';

/** Projections count as stalled when they are behind and have not moved for this long. */
const STALL_MS = 30_000;

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly projector: Projector,
  ) {}

  @Get('live')
  @Public()
  @ApiOperation({ summary: 'The process is up' })
  live() {
    return { status: 'ok' };
  }

  @Get('ready')
  @Public()
  @ApiOperation({ summary: 'The event store answers and projections are not stalled' })
  async ready(@Res({ passthrough: true }) reply: FastifyReply) {
    const checks: Record<string, unknown> = {};
    let ok = true;
    try {
      await this.store.ping();
      const head = await this.store.headPosition();
      const status = this.projector.status();
      const lag = Math.max(0, head - Math.max(status.position, 0));
      const stalled = lag > 0 && Date.now() - status.lastProgressAt > STALL_MS;
      checks.eventStore = { status: 'up', head };
      checks.projections = { status: stalled ? 'stalled' : 'ok', position: status.position, lag, ...(status.lastError ? { lastError: status.lastError } : {}) };
      ok = !stalled;
    } catch (err) {
      ok = false;
      checks.eventStore = { status: 'down', error: err instanceof Error ? err.message : String(err) };
    }
    void reply.status(ok ? 200 : 503);
    return { status: ok ? 'ok' : 'unavailable', checks };
  }
}
