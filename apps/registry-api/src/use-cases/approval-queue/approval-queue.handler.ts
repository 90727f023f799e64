import { Injectable } from '@nestjs/common';
import { RegistryQueries } from '#read-models';
import type { ApprovalQueueQuery } from './approval-queue.dto.js';

@Injectable()
export class ApprovalQueueHandler {
  constructor(private readonly queries: RegistryQueries) {}

  async handle(q: ApprovalQueueQuery) {
    const page = await this.queries.approvalQueue({ model: q.model, cursor: q.cursor, limit: q.limit ?? 50 });
    return {
      items: page.items.map((r) => ({ ...r, status: 'PendingManualApproval' as const })),
      nextCursor: page.nextCursor,
    };
  }
}
