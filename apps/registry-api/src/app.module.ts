import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { ScopeGuard } from '#auth';
import { CommandService } from './application/command-service.js';
import type { AppConfig } from '#config';
import { IdempotencyInterceptor } from './http/idempotency.js';
import { ProblemFilter } from './http/problem.js';
import { ReadAfterWriteInterceptor } from './http/read-after-write.js';
import { MLFLOW_CONTROLLERS, MLFLOW_PROVIDERS } from './mlflow/mlflow.controllers.js';
import { AuditModule } from './infrastructure/audit.module.js';
import { PersistenceModule } from './infrastructure/persistence.module.js';
import { RelayModule } from './infrastructure/relay.module.js';
import type { Clock, IdGenerator } from './infrastructure/tokens.js';
import { ApprovalQueueController } from './use-cases/approval-queue/approval-queue.controller.js';
import { ApprovalQueueHandler } from './use-cases/approval-queue/approval-queue.handler.js';
import { CreateModelController } from './use-cases/create-model/create-model.controller.js';
import { CreateModelHandler } from './use-cases/create-model/create-model.handler.js';
import { DecideApprovalController } from './use-cases/decide-approval/decide-approval.controller.js';
import { DecideApprovalHandler } from './use-cases/decide-approval/decide-approval.handler.js';
import { GetAliasController } from './use-cases/get-alias/get-alias.controller.js';
import { GetAliasHandler } from './use-cases/get-alias/get-alias.handler.js';
import { ApprovalLinks } from './application/approval-links.js';
import { ApprovalRequests } from './application/approval-requests.js';
import { ApprovalScheduler } from './application/approval-scheduler.js';
import { NotificationChannels } from './application/notification-channels.js';
import { NotificationDispatcher } from './application/notification-dispatcher.js';
import { ApprovalPageController } from './use-cases/approval-page/approval-page.controller.js';
import { ApprovalPageHandler } from './use-cases/approval-page/approval-page.handler.js';
import { IssueApprovalLinksController } from './use-cases/issue-approval-links/issue-approval-links.controller.js';
import { IssueApprovalLinksHandler } from './use-cases/issue-approval-links/issue-approval-links.handler.js';
import { GetReadinessController } from './use-cases/get-readiness/get-readiness.controller.js';
import { GetReadinessHandler } from './use-cases/get-readiness/get-readiness.handler.js';
import { GetModelController } from './use-cases/get-model/get-model.controller.js';
import { GetModelHandler } from './use-cases/get-model/get-model.handler.js';
import { GetVersionController } from './use-cases/get-version/get-version.controller.js';
import { GetVersionHandler } from './use-cases/get-version/get-version.handler.js';
import { EventStreamController } from './use-cases/event-stream/event-stream.controller.js';
import { EventStreamHandler } from './use-cases/event-stream/event-stream.handler.js';
import { HealthController } from './use-cases/health/health.controller.js';
import { MetricsController } from './use-cases/metrics/metrics.controller.js';
import { MetricsHandler } from './use-cases/metrics/metrics.handler.js';
import { LedgerMetrics } from './use-cases/metrics/ledger-metrics.js';
import { ListModelsController } from './use-cases/list-models/list-models.controller.js';
import { ListModelsHandler } from './use-cases/list-models/list-models.handler.js';
import { ListVersionsController } from './use-cases/list-versions/list-versions.controller.js';
import { ListVersionsHandler } from './use-cases/list-versions/list-versions.handler.js';
import { RecordGateController } from './use-cases/record-gate/record-gate.controller.js';
import { RecordGateHandler } from './use-cases/record-gate/record-gate.handler.js';
import { RegisterVersionController } from './use-cases/register-version/register-version.controller.js';
import { RegisterVersionHandler } from './use-cases/register-version/register-version.handler.js';
import { RemoveAliasController } from './use-cases/remove-alias/remove-alias.controller.js';
import { RemoveAliasHandler } from './use-cases/remove-alias/remove-alias.handler.js';
import { ResolveController } from './use-cases/resolve/resolve.controller.js';
import { ResolveHandler } from './use-cases/resolve/resolve.handler.js';
import { ResolveCache } from './use-cases/resolve/resolve-cache.js';
import { RollbackController } from './use-cases/rollback/rollback.controller.js';
import { RollbackHandler } from './use-cases/rollback/rollback.handler.js';
import { SetAliasController } from './use-cases/set-alias/set-alias.controller.js';
import { SetAliasHandler } from './use-cases/set-alias/set-alias.handler.js';
import { TransitionStageController } from './use-cases/transition-stage/transition-stage.controller.js';
import { TransitionStageHandler } from './use-cases/transition-stage/transition-stage.handler.js';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, overrides: { clock?: Clock; ids?: IdGenerator } = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [PersistenceModule.forRoot(config, overrides), RelayModule.forRoot(config), AuditModule],
      controllers: [
        HealthController,
        MetricsController,
        CreateModelController,
        ListModelsController,
        GetModelController,
        RegisterVersionController,
        ListVersionsController,
        GetVersionController,
        RecordGateController,
        DecideApprovalController,
        TransitionStageController,
        SetAliasController,
        RemoveAliasController,
        GetAliasController,
        ResolveController,
        RollbackController,
        ApprovalQueueController,
        GetReadinessController,
        IssueApprovalLinksController,
        ApprovalPageController,
        EventStreamController,
        ...MLFLOW_CONTROLLERS,
      ],
      providers: [
        CommandService,
        LedgerMetrics,
        MetricsHandler,
        CreateModelHandler,
        ListModelsHandler,
        GetModelHandler,
        RegisterVersionHandler,
        ListVersionsHandler,
        GetVersionHandler,
        RecordGateHandler,
        DecideApprovalHandler,
        TransitionStageHandler,
        SetAliasHandler,
        RemoveAliasHandler,
        GetAliasHandler,
        ResolveHandler,
        ResolveCache,
        RollbackHandler,
        ApprovalQueueHandler,
        GetReadinessHandler,
        ApprovalLinks,
        ApprovalRequests,
        ApprovalScheduler,
        NotificationChannels,
        NotificationDispatcher,
        IssueApprovalLinksHandler,
        ApprovalPageHandler,
        EventStreamHandler,
        ...MLFLOW_PROVIDERS,
        { provide: APP_GUARD, useClass: ScopeGuard },
        { provide: APP_FILTER, useClass: ProblemFilter },
        { provide: APP_INTERCEPTOR, useClass: IdempotencyInterceptor },
        { provide: APP_INTERCEPTOR, useClass: ReadAfterWriteInterceptor },
      ],
    };
  }
}
