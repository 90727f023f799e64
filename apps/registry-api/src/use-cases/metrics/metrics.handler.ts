import { Injectable } from '@nestjs/common';
import { LedgerMetrics } from './ledger-metrics.js';

/** GET /metrics: the OTel metrics SDK's Prometheus exposition (text format 0.0.4). */
@Injectable()
export class MetricsHandler {
  constructor(private readonly metrics: LedgerMetrics) {}

  handle(): Promise<string> {
    return this.metrics.prometheusText();
  }
}
