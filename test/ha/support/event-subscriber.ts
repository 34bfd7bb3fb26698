import mqtt, { type MqttClient } from 'mqtt';

export interface Received {
  seq: number;
  at: number;
}

/** A third-party subscriber: on the second broker first, moving to the other when its broker dies (mqtt.js rotates). */
export class EventSubscriber {
  readonly received = new Map<string, Received>();
  readonly connectedTo: Array<{ at: number; port: number }> = [];

  private constructor(private readonly client: MqttClient) {}

  static async connect(ports: number[], topic: string): Promise<EventSubscriber> {
    const client = mqtt.connect({
      servers: ports.map((port) => ({ host: '127.0.0.1', port })),
      protocolVersion: 4,
      reconnectPeriod: 300,
      connectTimeout: 2_000,
    });
    const subscriber = new EventSubscriber(client);
    client.on('connect', () => subscriber.connectedTo.push({ at: Date.now(), port: (client.options as { port: number }).port }));
    client.on('message', (_topic, payload) => {
      try {
        const event = JSON.parse(payload.toString()) as { id?: string; seq?: number };
        if (typeof event.id === 'string' && typeof event.seq === 'number' && !subscriber.received.has(event.id))
          subscriber.received.set(event.id, { seq: event.seq, at: Date.now() });
      } catch {
        // not an event (presence): ignore
      }
    });
    client.on('error', () => undefined);
    await new Promise<void>((resolve) => client.once('connect', () => resolve()));
    await client.subscribeAsync(topic, { qos: 1 });
    return subscriber;
  }

  close(): Promise<void> {
    return this.client.endAsync(true);
  }
}
