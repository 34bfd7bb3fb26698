/** What the other parts of Connections use of the guard: the checks a change passes, and the locks it reads. */
export { CollisionGuard } from './application/collision-guard.js';
export { RoutingGuard, type GuardOverride } from './application/routing-guard.js';
export { GuardRepository, type ReceiverLock } from './infra/guard.repository.js';
