export { FlowsModule, FLOWS_MIGRATIONS, FLOWS_ENTITIES } from './flows.module.js';
export { describeSdp, type SdpDescription, type SdpLeg } from './domain/sdp-description.js';
export { CollisionsService, type SenderCollision } from './application/collisions.service.js';
export { FlowsService } from './application/flows.service.js';
export { AddressPlanService, type ReservationView } from './application/address-plan.service.js';
export { NmosLinkService } from './application/nmos-link.service.js';
export type { FlowView } from './domain/flow-view.js';
export type { StoredActor } from './domain/flow.entity.js';
export { isMulticast } from './domain/ipv4.js';
