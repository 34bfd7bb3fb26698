export { FlowsModule, FLOWS_MIGRATIONS, FLOWS_ENTITIES } from './flows.module.js';
export { describeSdp, type SdpDescription, type SdpLeg } from './domain/sdp-description.js';
export { CollisionsService, type SenderCollision } from './application/collisions.service.js';
