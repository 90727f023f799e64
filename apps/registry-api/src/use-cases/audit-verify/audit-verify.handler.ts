import { Inject, Injectable } from '@nestjs/common';
import { invalid } from '../../../../../libs/domain/src/index.js';
import type { ChainReader, EventStore } from '../../../../../libs/event-store/src/index.js';
import { verifyStore, type AuditKey, type VerifyReport } from '../../../../../libs/audit/src/index.js';
import { AUDIT_KEY, CLOCK, EVENT_STORE, type Clock } from '../../infrastructure/tokens.js';

export function chainReaderOf(store: EventStore): ChainReader {
  const reader = store as unknown as Partial<ChainReader>;
  if (typeof reader.readChain !== 'function' || typeof reader.readChainAt !== 'function') {
    throw new Error('the configured event store does not expose its hash chain');
  }
  return reader as ChainReader;
}

@Injectable()
export class AuditVerifyHandler {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(AUDIT_KEY) private readonly key: AuditKey,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  async handle(from?: number, to?: number): Promise<VerifyReport & { head: number; checkedAt: string }> {
    if (from !== undefined && to !== undefined && to < from) {
      throw invalid('INVALID_RANGE', `to (${to}) is before from (${from})`, [{ field: 'to', rule: 'min', message: 'to must be >= from' }]);
    }
    const head = await this.store.headPosition();
    const report = await verifyStore(chainReaderOf(this.store), { keys: [this.key.publicJwk] }, { from, to: to ?? head });
    return { ...report, head, checkedAt: this.clock.now().toISOString() };
  }
}
