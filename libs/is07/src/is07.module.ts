import { Module } from '@nestjs/common';
import { ConnectionsModule } from '#connections';
import { EventsModule } from '#events';
import { RegistryModule } from '#registry';
import { EventSendersController } from './api/event-senders.controller.js';
import { Is07MessagesController } from './api/is07-messages.controller.js';
import { EventSenderDirectory } from './application/event-sender-directory.service.js';
import { Is07Service } from './application/is07.service.js';
import { SenderStateRepository } from './infra/sender-state.repository.js';
import { Is07SenderStates1764201601500 } from './migrations/1764201601500-is07-sender-states.js';

export const IS07_MIGRATIONS = [Is07SenderStates1764201601500];

/**
 * AMWA IS-07 event and tally over MQTT: the senders of the merged view whose transport is
 * `urn:x-nmos:transport:mqtt`, followed on every replica through the Events module's microservice
 * transport; each state and connection status recorded once, with its event (`is07.*`), and shown per
 * sender at /api/event-senders.
 */
@Module({
  imports: [EventsModule, RegistryModule, ConnectionsModule],
  controllers: [EventSendersController, Is07MessagesController],
  providers: [SenderStateRepository, EventSenderDirectory, Is07Service],
})
export class Is07Module {}
