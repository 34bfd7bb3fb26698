export { AlertsModule, ALERTS_MIGRATIONS, ALERTS_BACKUP_SECTIONS } from './alerts.module.js';
export { ALERTS_LEASE } from './application/alert-evaluator.service.js';
