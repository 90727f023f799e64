import { Inject, Injectable } from '@nestjs/common';
import { invalid } from '#domain';
import type { ChainReader, EventStore } from '#event-store';
import { verifyStore, type AuditKey, type VerifyReport } from '#audit';
import { AUDIT_KEY, CHAIN_READER, CLOCK, EVENT_STORE, type Clock } from '../../infrastructure/tokens.js';

@Injectable()
export class AuditVerifyHandler {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CHAIN_READER) private readonly chain: ChainReader,
    @Inject(AUDIT_KEY) private readonly key: AuditKey,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async handle(from?: number, to?: number): Promise<VerifyReport & { head: number; checkedAt: string }> {
    if (from !== undefined && to !== undefined && to < from) {
      throw invalid('INVALID_RANGE', `to (${to}) is before from (${from})`, [{ field: 'to', rule: 'min', message: 'to must be >= from' }]);
    }
    const head = await this.store.headPosition();
    const report = await verifyStore(this.chain, { keys: [this.key.publicJwk] }, { from, to: to ?? head });
    return { ...report, head, checkedAt: this.clock.now().toISOString() };
  }
}
