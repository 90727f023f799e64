import type { ApprovalEventDataMap } from '../approvals/events.js';
import type { EventDataMap } from '../model/events.js';
import type { AuditCheckpointEventDataMap } from './audit-checkpoints.js';
import type { PolicyEventDataMap } from './policy-ledger.js';

export * from './audit-checkpoints.js';
export * from './policy-ledger.js';

/** Every event type the ledger records, on every stream, with its data. */
export type LedgerEventDataMap = EventDataMap & ApprovalEventDataMap & PolicyEventDataMap & AuditCheckpointEventDataMap;
export type LedgerEventType = keyof LedgerEventDataMap;
