import { Module } from '@nestjs/common';
import { EventsController } from './api/events.controller.js';
import { BrokerLink } from './application/broker-link.service.js';
import { EventsMetrics } from './application/events.metrics.js';
import { EventsConditions } from './application/events.conditions.js';
import { EventsHealth } from './application/events.health.js';
import { EventStream } from './application/event-stream.service.js';
import { MqttTopicsServer } from './application/mqtt-topics.server.js';
import { EventsService } from './application/events.service.js';
import { OutboxBacklog } from './application/outbox-backlog.service.js';
import { OutboxRelay } from './application/outbox-relay.service.js';
import { MQTT_CONNECTION_FACTORY, MqttConnection, type MqttConnectionFactory } from './infra/mqtt-connection.js';
import { OutboxRepository } from './infra/outbox.repository.js';
import { EventsClearsRetained1764201601150 } from './migrations/1764201601150-events-clears-retained.js';
import { EventsOutbox1764201600400 } from './migrations/1764201600400-events-outbox.js';

export const EVENTS_MIGRATIONS = [EventsOutbox1764201600400, EventsClearsRetained1764201601150];

/**
 * The transactional outbox, its relay to MQTT (lease holder), the broker connection, other systems'
 * topics as a Nest microservice transport (MqttTopicsServer) and the catch-up API.
 */
@Module({
  controllers: [EventsController],
  providers: [
    OutboxRepository,
    OutboxBacklog,
    // The real MQTT client; a test replaces it (overrideProvider) to run the module without a broker.
    {
      provide: MQTT_CONNECTION_FACTORY,
      useValue: ((urls, settings, clientId) => new MqttConnection(urls, settings, clientId)) satisfies MqttConnectionFactory,
    },
    BrokerLink,
    MqttTopicsServer,
    EventsService,
    EventStream,
    OutboxRelay,
    EventsHealth,
    EventsMetrics,
    EventsConditions,
  ],
  exports: [EventsService, MqttTopicsServer],
})
export class EventsModule {}
