import { describe, expect, it } from '@jest/globals';
import type { MessageHandler } from '../infra/mqtt-connection.js';
import type { BrokerLink } from './broker-link.service.js';
import { MqttTopicContext, MqttTopicsServer } from './mqtt-topics.server.js';

/** A broker connection that records subscriptions and lets the test deliver messages. */
function fakeLink(urls: string[]) {
  const subscriptions = new Map<string, Set<MessageHandler>>();
  const connection = {
    subscribe: async (topic: string, handler: MessageHandler) => void subscriptions.set(topic, (subscriptions.get(topic) ?? new Set()).add(handler)),
    unsubscribe: async (topic: string, handler: MessageHandler) => {
      subscriptions.get(topic)?.delete(handler);
      if (subscriptions.get(topic)?.size === 0) subscriptions.delete(topic);
    },
  };
  const deliver = (filter: string, topic: string, message: unknown) => subscriptions.get(filter)?.forEach((handler) => handler(topic, message));
  return { link: { connection, urls } as unknown as BrokerLink, subscriptions, deliver };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('the MQTT topics transport (Nest microservice strategy over our connection)', () => {
  it('subscribes @EventPattern topic filters when it listens and hands each message, raw, to its handler with the topic', async () => {
    const { link, subscriptions, deliver } = fakeLink(['mqtt://127.0.0.1:1883']);
    const server = new MqttTopicsServer(link);
    const heard: Array<[unknown, string]> = [];
    server.addHandler('sensors/+/level', async (data: unknown, context: MqttTopicContext) => void heard.push([data, context.getTopic()]), true);
    server.addHandler('named.handler', async () => undefined, true);
    await new Promise<void>((resolve, reject) => server.listen((err) => (err ? reject(err as Error) : resolve())));

    expect([...subscriptions.keys()]).toEqual(['sensors/+/level']);
    deliver('sensors/+/level', 'sensors/a/level', { data: 1, pattern: 'not a Nest packet' });
    await tick();
    expect(heard).toEqual([[{ data: 1, pattern: 'not a Nest packet' }, 'sensors/a/level']]);
    await server.close();
    expect(subscriptions.size).toBe(0);
  });

  it('routes topics found at run time to a named handler, moves and stops them, and refuses a handler nobody registered', async () => {
    const { link, subscriptions, deliver } = fakeLink(['mqtt://127.0.0.1:1883']);
    const server = new MqttTopicsServer(link);
    const heard: string[] = [];
    server.addHandler('a', async (_data: unknown, context: MqttTopicContext) => void heard.push(`a:${context.getTopic()}`), true);
    server.addHandler('b', async (_data: unknown, context: MqttTopicContext) => void heard.push(`b:${context.getTopic()}`), true);
    server.listen(() => undefined);
    await server.listening;

    await server.route('x-nmos/events/1.0/s1/boolean', 'a');
    deliver('x-nmos/events/1.0/s1/boolean', 'x-nmos/events/1.0/s1/boolean', {});
    await server.route('x-nmos/events/1.0/s1/boolean', 'b');
    deliver('x-nmos/events/1.0/s1/boolean', 'x-nmos/events/1.0/s1/boolean', {});
    await tick();
    expect(heard).toEqual(['a:x-nmos/events/1.0/s1/boolean', 'b:x-nmos/events/1.0/s1/boolean']);
    expect(subscriptions.get('x-nmos/events/1.0/s1/boolean')?.size).toBe(1);
    expect(server.routed).toEqual(new Map([['x-nmos/events/1.0/s1/boolean', 'b']]));

    await server.unroute('x-nmos/events/1.0/s1/boolean');
    expect(subscriptions.size).toBe(0);
    await expect(server.route('t', 'nobody')).rejects.toThrow("no @EventPattern('nobody') handler");
  });

  it('keeps handling after a handler fails', async () => {
    const { link, deliver } = fakeLink([]);
    const server = new MqttTopicsServer(link);
    let calls = 0;
    server.addHandler(
      'flaky',
      async () => {
        calls++;
        throw new Error('boom');
      },
      true,
    );
    server.listen(() => undefined);
    await server.route('t', 'flaky');
    deliver('t', 't', {});
    deliver('t', 't', {});
    await tick();
    expect(calls).toBe(2);
  });

  it('tells whether a broker another system names is one its connection reaches', () => {
    const server = new MqttTopicsServer(fakeLink(['mqtt://mqtt-a.example:1883', 'mqtts://mqtt-b.example', 'tcp://10.0.0.5:1884']).link);
    expect(server.reaches('MQTT-A.example', 1883)).toBe(true);
    expect(server.reaches('mqtt-b.example', 8883)).toBe(true);
    expect(server.reaches('10.0.0.5', 1884)).toBe(true);
    expect(server.reaches('mqtt-a.example', 8883)).toBe(false);
    expect(server.reaches('192.0.2.200', 1883)).toBe(false);
  });
});
