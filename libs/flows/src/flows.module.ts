import { Module } from '@nestjs/common';
import { EventsModule } from '#events';
import { RegistryModule } from '#registry';
import { AddressPlanController } from './api/address-plan.controller.js';
import { FlowsController } from './api/flows.controller.js';
import { AddressPlanService } from './application/address-plan.service.js';
import { CollisionsService } from './application/collisions.service.js';
import { FlowsService } from './application/flows.service.js';
import { NmosLinkService } from './application/nmos-link.service.js';
import { AddressBucket, AddressReservation } from './domain/address-bucket.entity.js';
import { FlowAudit } from './domain/flow-audit.entity.js';
import { Flow } from './domain/flow.entity.js';
import { AddressPlanRepository } from './infra/address-plan.repository.js';
import { CollisionsRepository } from './infra/collisions.repository.js';
import { FlowsRepository } from './infra/flows.repository.js';
import { SdpFetcher } from './infra/sdp-fetcher.js';
import { Flows1764201601200 } from './migrations/1764201601200-flows.js';

export const FLOWS_MIGRATIONS = [Flows1764201601200];
/** The module's TypeORM entities: the app gives them to the Database module's primary DataSource. */
export const FLOWS_ENTITIES = [Flow, FlowAudit, AddressBucket, AddressReservation];

/**
 * The facility's flow inventory and multicast address plan (GO-NMOS's flows, buckets and checker),
 * on TypeORM entities over the primary DataSource; flow events through the outbox.
 */
@Module({
  imports: [EventsModule, RegistryModule],
  controllers: [FlowsController, AddressPlanController],
  providers: [FlowsRepository, AddressPlanRepository, CollisionsRepository, SdpFetcher, FlowsService, AddressPlanService, CollisionsService, NmosLinkService],
  exports: [FlowsService, CollisionsService, AddressPlanService, NmosLinkService],
})
export class FlowsModule {}
