/** What the other parts of Connections use of routing: recording, resolving targets, talking to devices, firing salvos. */
export { RoutingRecorder } from './application/routing-recorder.js';
export { SalvoService, type SalvoResult } from './application/salvo.service.js';
export { TargetResolver } from './application/target-resolver.js';
export { DeviceGateway } from './infra/device-gateway.js';
export { deviceError } from './domain/device-errors.js';
export { activeMismatches, type ConnectionPlan } from './domain/connection-plan.js';
