export { ConnectionsModule, CONNECTIONS_MIGRATIONS, ROUTING_BACKUP_SECTIONS } from './connections.module.js';
export { ROUTING_SCHEDULER_LEASE } from './application/routing-scheduler.service.js';
export { ACTIVE_CHECK_LEASE } from './application/active-state-check.service.js';
export { SenderActiveReader } from './application/sender-active-reader.js';
