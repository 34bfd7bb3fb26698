import { Module } from '@nestjs/common';
import { EventsModule } from '#events';
import { AlertsController } from './api/alerts.controller.js';
import { ReplicasController } from './api/replicas.controller.js';
import { AlertEvaluator } from './application/alert-evaluator.service.js';
import { AlertHooksService } from './application/alert-hooks.service.js';
import { ReplicaReporter } from './application/replica-reporter.service.js';
import { ReplicasService } from './application/replicas.service.js';
import { AlertHooksBackupSection } from './infra/alert-hooks.backup.js';
import { AlertsRepository } from './infra/alerts.repository.js';
import { WebhookSender } from './infra/webhook-sender.js';
import { Alerts1764201601100 } from './migrations/1764201601100-alerts.js';

export const ALERTS_MIGRATIONS = [Alerts1764201601100];
export const ALERTS_BACKUP_SECTIONS = 'ALERTS_BACKUP_SECTIONS';

/**
 * Alert hooks (HA guide §7): the conditions modules report through AlertConditions, decided on one
 * replica (the `alerts` lease) and sent once to admin-configured webhooks, with retries and a delivery log.
 */
@Module({
  imports: [EventsModule],
  controllers: [AlertsController, ReplicasController],
  providers: [
    AlertsRepository,
    WebhookSender,
    AlertHooksService,
    ReplicaReporter,
    ReplicasService,
    AlertEvaluator,
    AlertHooksBackupSection,
    { provide: ALERTS_BACKUP_SECTIONS, inject: [AlertHooksBackupSection], useFactory: (...sections: unknown[]) => sections },
  ],
  exports: [ALERTS_BACKUP_SECTIONS],
})
export class AlertsModule {}
