export { EventsModule, EVENTS_MIGRATIONS } from './events.module.js';
export { EventsService } from './application/events.service.js';
export { MqttTopicsServer, MqttTopicContext } from './application/mqtt-topics.server.js';
export { EVENT_RELAY_LEASE } from './application/outbox-relay.service.js';
export { topicSegment, type NewEvent, type PublishedEvent } from './domain/event.js';
