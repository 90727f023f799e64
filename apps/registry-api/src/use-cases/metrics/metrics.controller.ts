import { Controller, Get, Header } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { ApiText2xx } from '../../http/openapi.js';
import { Public } from '#auth';
import { MetricsHandler } from './metrics.handler.js';

@ApiTags('health')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly handler: MetricsHandler) {}

  // Public like /health: it holds positions and lag only, no registry content. Restrict it at the network edge if needed.
  @Get()
  @Public()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  @ApiProduces('text/plain')
  @ApiText2xx('text/plain')
  @ApiOperation({ summary: 'Prometheus metrics: event-store head, projection lag, relay lag (events and seconds behind)' })
  metrics() {
    return this.handler.handle();
  }
}
