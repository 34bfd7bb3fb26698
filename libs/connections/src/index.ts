export { ConnectionsModule, CONNECTIONS_MIGRATIONS, ROUTING_BACKUP_SECTIONS } from './connections.module.js';
export { ROUTING_SCHEDULER_LEASE } from './scheduling/application/routing-scheduler.service.js';
export { ACTIVE_CHECK_LEASE } from './live-state/application/active-state-check.service.js';
export { SenderActiveReader } from './routing/application/sender-active-reader.js';
