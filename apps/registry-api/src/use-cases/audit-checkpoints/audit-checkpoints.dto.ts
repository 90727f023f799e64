import { LimitQuery } from '../shared/paging.js';

export class AuditCheckpointsQuery extends LimitQuery {}
