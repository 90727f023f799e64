import { Logger, Module } from '@nestjs/common';
import { devAuditKeyFile, loadAuditKey } from '#audit';
import type { SqlDb } from '#persistence';
import { AuditTrailQueries } from '#read-models';
import { AuditHistory } from '../application/audit-history.js';
import { CheckpointScheduler } from '../application/checkpoint-scheduler.js';
import type { AppConfig } from '#config';
import { Snapshotter } from '../application/snapshotter.js';
import { AuditReadLog } from '../http/audit-read-log.js';
import { AuditCheckpointsController } from '../use-cases/audit-checkpoints/audit-checkpoints.controller.js';
import { AuditCheckpointsHandler } from '../use-cases/audit-checkpoints/audit-checkpoints.handler.js';
import { AuditDiffController } from '../use-cases/audit-diff/audit-diff.controller.js';
import { AuditDiffHandler } from '../use-cases/audit-diff/audit-diff.handler.js';
import { AuditEventsController } from '../use-cases/audit-events/audit-events.controller.js';
import { AuditEventsHandler } from '../use-cases/audit-events/audit-events.handler.js';
import { AuditExportController } from '../use-cases/audit-export/audit-export.controller.js';
import { AuditExportHandler } from '../use-cases/audit-export/audit-export.handler.js';
import { AuditKeysController } from '../use-cases/audit-keys/audit-keys.controller.js';
import { AuditResolveController } from '../use-cases/audit-resolve/audit-resolve.controller.js';
import { AuditResolveHandler } from '../use-cases/audit-resolve/audit-resolve.handler.js';
import { AuditStateController } from '../use-cases/audit-state/audit-state.controller.js';
import { AuditStateHandler } from '../use-cases/audit-state/audit-state.handler.js';
import { AuditUiController } from '../use-cases/audit-ui/audit-ui.controller.js';
import { AuditVerifyController } from '../use-cases/audit-verify/audit-verify.controller.js';
import { AuditVerifyHandler } from '../use-cases/audit-verify/audit-verify.handler.js';
import { APP_CONFIG, AUDIT_KEY, SQL_DB } from './tokens.js';

/** Tamper evidence, time travel and audit-trail queries (docs/AUDIT.md); uses the global persistence providers. */
@Module({
  controllers: [
    AuditVerifyController,
    AuditKeysController,
    AuditCheckpointsController,
    AuditStateController,
    AuditResolveController,
    AuditDiffController,
    AuditEventsController,
    AuditExportController,
    AuditUiController,
  ],
  providers: [
    {
      provide: AUDIT_KEY,
      useFactory: (config: AppConfig) => {
        if (config.AUDIT_SIGNING_KEY_FILE) return loadAuditKey(config.AUDIT_SIGNING_KEY_FILE);
        if (config.NODE_ENV === 'production') {
          new Logger('Audit').warn('AUDIT_SIGNING_KEY_FILE is unset: checkpoints are signed with a key kept under DATA_DIR, beside the data it protects');
        }
        return loadAuditKey(devAuditKeyFile(config.DATA_DIR), { create: true });
      },
      inject: [APP_CONFIG],
    },
    { provide: AuditTrailQueries, useFactory: (db: SqlDb) => new AuditTrailQueries(db), inject: [SQL_DB] },
    AuditHistory,
    Snapshotter,
    CheckpointScheduler,
    AuditReadLog,
    AuditVerifyHandler,
    AuditCheckpointsHandler,
    AuditStateHandler,
    AuditResolveHandler,
    AuditDiffHandler,
    AuditEventsHandler,
    AuditExportHandler,
  ],
})
export class AuditModule {}
