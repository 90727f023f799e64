import type { Migration } from '../migration.js';
import { m0001 } from './0001-baseline.js';
import { m0002 } from './0002-projection-versions.js';
import { m0003 } from './0003-idempotency-leases.js';
import { m0004 } from './0004-snapshots-and-group-commit.js';
import { m0005 } from './0005-append-batch-stream-heads.js';
import { m0006 } from './0006-canonical-text-columns.js';
import { m0007 } from './0007-append-batch-generic-plans.js';
import { m0008 } from './0008-audit-rowid-key.js';

/**
 * Every migration, oldest first. To change the schema: add `NNNN-<what>.ts` beside these with
 * the next version and SQL for both stores, and append it here (docs/ARCHITECTURE.md, "Schema
 * migrations"). A unit test checks that this list and the folder agree.
 */
export const MIGRATIONS: readonly Migration[] = [m0001, m0002, m0003, m0004, m0005, m0006, m0007, m0008];
