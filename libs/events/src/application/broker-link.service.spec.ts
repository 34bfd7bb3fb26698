import { afterEach, describe, expect, it } from '@jest/globals';
import { Test, type TestingModule } from '@nestjs/testing';
import { INSTANCE_ID } from '#common';
import { AppConfig } from '#config';
import { MQTT_CONNECTION_FACTORY, type MqttConnection, type MqttConnectionFactory } from '../infra/mqtt-connection.js';
import { BrokerLink } from './broker-link.service.js';

/**
 * BrokerLink as Nest builds it, with the MQTT connection factory overridden: against external brokers
 * it opens one connection to all of them (the pair), under a client id of this replica, starts it with
 * the module and stops it at shutdown, and runs no embedded broker.
 */
describe('the broker link (DI-level, MQTT connection replaced)', () => {
  let module: TestingModule;
  afterEach(async () => module?.close());

  it('connects once to the configured broker pair, as this replica, and lets go at shutdown', async () => {
    const made: Array<{ urls: string[]; clientId: string; username?: string }> = [];
    const calls: string[] = [];
    const factory: MqttConnectionFactory = (urls, settings, clientId) => {
      made.push({ urls, clientId, username: settings.username });
      return { start: () => void calls.push('start'), stop: async () => void calls.push('stop') } as unknown as MqttConnection;
    };
    const events = { brokerUrls: ['mqtts://mqtt-primary:8883', 'mqtts://mqtt-secondary:8883'], username: 'nmos', topicPrefix: 'go-nmos/flows/events' };
    module = await Test.createTestingModule({
      providers: [BrokerLink, { provide: AppConfig, useValue: { events, dataDir: '/nonexistent' } }, { provide: MQTT_CONNECTION_FACTORY, useValue: null }],
    })
      .overrideProvider(MQTT_CONNECTION_FACTORY)
      .useValue(factory)
      .compile();
    await module.init();
    const link = module.get(BrokerLink);

    expect(made).toEqual([{ urls: events.brokerUrls, clientId: `nmos-control-${INSTANCE_ID}`, username: 'nmos' }]);
    expect(link.embeddedUrl).toBeUndefined();
    expect(link.subscriberAccount).toBeUndefined();
    expect(calls).toEqual(['start']);
    await module.close();
    expect(calls).toEqual(['start', 'stop']);
  });
});
