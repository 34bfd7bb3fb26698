import { describe, expect, it } from '@jest/globals';
import type { AppConfig } from '#config';
import type { SenderActiveReader } from '#connections';
import type { MqttTopicsServer } from '#events';
import type { NmosQueryService } from '#registry';
import { EventSenderDirectory, IS07_CONNECTION_STATUS, IS07_STATE } from './event-sender-directory.service.js';

const SENDER = '9d2b7b5e-7c3a-4f0e-9a51-0d6c1f1e2a01';
const OTHER = '9d2b7b5e-7c3a-4f0e-9a51-0d6c1f1e2a02';
const FLOW = 'b1a6c0de-1111-4222-8333-444455556666';

/** An MQTT sender's IS-05 /active, as the simulator and nmos-cpp answer it. */
function active(topic: string, host = '127.0.0.1', port = 1883) {
  return {
    master_enable: true,
    transport_params: [
      {
        destination_host: host,
        destination_port: port,
        broker_protocol: 'mqtt',
        broker_authorization: false,
        broker_topic: topic,
        connection_status_broker_topic: `${topic}/status`,
      },
    ],
  };
}

/**
 * The directory's rules without a registry, devices or a broker: the merged view, the devices' /active
 * and the topics transport are in-memory stand-ins that record what the directory asks of them.
 */
function setUp() {
  const senders = new Map<string, { version: string; answer: () => unknown }>();
  const routed = new Map<string, string>();
  const calls: string[] = [];
  const nmos = {
    sendersByTransport: async () =>
      [...senders].map(([id, s]) => ({
        id,
        version: s.version,
        resource: { id, device_id: 'device-1', flow_id: FLOW, transport: 'urn:x-nmos:transport:mqtt' },
      })),
  };
  const reader = {
    read: async (id: string) => {
      calls.push(`read ${id}`);
      return senders.get(id)!.answer();
    },
  };
  const topics = {
    reaches: (host: string, port: number) => host === '127.0.0.1' && port === 1883,
    route: async (topic: string, pattern: string) => {
      calls.push(`route ${topic}`);
      routed.set(topic, pattern);
    },
    unroute: async (topic: string) => {
      calls.push(`unroute ${topic}`);
      routed.delete(topic);
    },
  };
  const directory = new EventSenderDirectory(
    { events: { is07RefreshSeconds: 0 } } as AppConfig,
    nmos as unknown as NmosQueryService,
    reader as unknown as SenderActiveReader,
    topics as unknown as MqttTopicsServer,
  );
  return { directory, senders, routed, calls };
}

describe('the IS-07 sender directory (merged view, devices and broker replaced)', () => {
  it("routes a sender's state and status topics, and re-reads /active only when its IS-04 version moves", async () => {
    const { directory, senders, routed, calls } = setUp();
    senders.set(SENDER, { version: '1:0', answer: () => active('x-nmos/events/1.0/a/boolean') });
    await directory.refresh();
    await directory.refresh();
    expect(routed).toEqual(
      new Map([
        ['x-nmos/events/1.0/a/boolean', IS07_STATE],
        ['x-nmos/events/1.0/a/boolean/status', IS07_CONNECTION_STATUS],
      ]),
    );
    expect(calls.filter((c) => c.startsWith('read'))).toHaveLength(1);
    expect(directory.ownerOf('x-nmos/events/1.0/a/boolean')).toMatchObject({ senderId: SENDER, flowId: FLOW, reason: null });

    senders.set(SENDER, { version: '2:0', answer: () => active('x-nmos/events/1.0/b/boolean') });
    await directory.refresh();
    expect([...routed.keys()]).toEqual(['x-nmos/events/1.0/b/boolean', 'x-nmos/events/1.0/b/boolean/status']);
    expect(directory.ownerOf('x-nmos/events/1.0/a/boolean')).toBeUndefined();
  });

  it("keeps following a sender's topics while its device's IS-05 API does not answer, and reads it again each pass", async () => {
    const { directory, senders, routed, calls } = setUp();
    senders.set(SENDER, { version: '1:0', answer: () => active('x-nmos/events/1.0/a/boolean') });
    await directory.refresh();
    senders.set(SENDER, {
      version: '2:0',
      answer: () => {
        throw new Error('GET …/active: ECONNREFUSED');
      },
    });
    await directory.refresh();
    await directory.refresh();
    expect([...routed.keys()]).toEqual(['x-nmos/events/1.0/a/boolean', 'x-nmos/events/1.0/a/boolean/status']);
    expect(calls.filter((c) => c === `read ${SENDER}`)).toHaveLength(3);
    expect(calls.filter((c) => c.startsWith('unroute'))).toEqual([]);

    // A sender never reached is listed as unreachable and followed by nothing.
    senders.set(OTHER, {
      version: '1:0',
      answer: () => {
        throw new Error('timeout');
      },
    });
    await directory.refresh();
    expect(directory.entry(OTHER)).toMatchObject({ topics: null, reason: 'device_unreachable' });
  });

  it('follows nothing for a sender on another broker, an unconfigured one, or one on a topic another sender has', async () => {
    const { directory, senders, routed } = setUp();
    senders.set(SENDER, { version: '1:0', answer: () => active('shared/topic') });
    senders.set(OTHER, { version: '1:0', answer: () => active('shared/topic') });
    senders.set('c0000000-0000-4000-8000-000000000003', { version: '1:0', answer: () => active('elsewhere/topic', '192.0.2.9') });
    senders.set('c0000000-0000-4000-8000-000000000004', { version: '1:0', answer: () => ({ ...active('unset'), master_enable: false }) });
    await directory.refresh();
    expect([...routed.keys()]).toEqual(['shared/topic', 'shared/topic/status']);
    expect(directory.ownerOf('shared/topic')?.senderId).toBe(SENDER);
    expect(directory.entry(OTHER)?.reason).toBe('topic_shared');
    expect(directory.entry('c0000000-0000-4000-8000-000000000003')?.reason).toBe('other_broker');
    expect(directory.entry('c0000000-0000-4000-8000-000000000004')?.reason).toBe('not_configured');

    // The first sender leaves the merged view: the topic is the other's from the next pass.
    senders.delete(SENDER);
    await directory.refresh();
    expect(directory.ownerOf('shared/topic')?.senderId).toBe(OTHER);
    expect(directory.entry(OTHER)?.reason).toBeNull();
  });

  it('asks the broker again for a sender whose state could not be recorded (subscribe anew: retained messages come back)', async () => {
    const { directory, senders, calls } = setUp();
    senders.set(SENDER, { version: '1:0', answer: () => active('x-nmos/events/1.0/a/boolean') });
    await directory.refresh();
    calls.length = 0;
    directory.replayLater(SENDER);
    await directory.refresh();
    expect(calls).toEqual([
      'unroute x-nmos/events/1.0/a/boolean',
      'unroute x-nmos/events/1.0/a/boolean/status',
      'route x-nmos/events/1.0/a/boolean',
      'route x-nmos/events/1.0/a/boolean/status',
    ]);
    calls.length = 0;
    await directory.refresh();
    expect(calls).toEqual([]);
  });
});
