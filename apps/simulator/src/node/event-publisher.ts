import mqtt, { type MqttClient } from 'mqtt';
import type { EventSenderModel } from '../domain/facility-model.js';
import { taiNow } from '../domain/tai.js';

/**
 * One IS-07 sender's MQTT side, as a device does it: a connection of its own to the broker with a
 * retained last will `{"active": false}` on its connection status topic, `{"active": true}` once
 * connected, and each state as a retained IS-07 `state` message on its topic (a late subscriber sees
 * the present state). `crash()` drops the connection without a goodbye, so the broker sends the will.
 */
export class EventPublisher {
  private client?: MqttClient;
  private value = false;

  constructor(
    private readonly sender: EventSenderModel,
    private readonly brokerUrl: string,
  ) {}

  get state(): boolean {
    return this.value;
  }

  async start(): Promise<void> {
    this.client = await mqtt.connectAsync(this.brokerUrl, {
      protocolVersion: 4,
      clientId: `sim-is07-${this.sender.resource.id}`,
      reconnectPeriod: 1_000,
      will: { topic: this.sender.statusTopic, payload: Buffer.from(JSON.stringify({ active: false })), qos: 1, retain: true },
    });
    await this.client.publishAsync(this.sender.statusTopic, JSON.stringify({ active: true }), { qos: 1, retain: true });
    await this.publishState();
  }

  /** A new state (a tally going on air, a GPI closing): published now, with the time of the change. */
  async set(value: boolean): Promise<Record<string, unknown>> {
    this.value = value;
    return this.publishState();
  }

  /** A message exactly as given, on the sender's topic (a device writing something wrong). */
  async publishRaw(payload: string): Promise<void> {
    await this.connected().publishAsync(this.sender.topic, payload, { qos: 1 });
  }

  /** The sender's state message, as IS-07 writes it. */
  message(): Record<string, unknown> {
    const now = taiNow();
    return {
      message_type: 'state',
      identity: { source_id: this.sender.source.id, flow_id: this.sender.flow.id },
      event_type: this.sender.eventType,
      timing: { creation_timestamp: now, origin_timestamp: now },
      payload: { value: this.value },
    };
  }

  /** Gone without a goodbye: the socket is cut, the broker publishes the last will. */
  crash(): void {
    const client = this.client;
    this.client = undefined;
    client?.stream.destroy();
    client?.end(true);
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    if (client.connected)
      await client.publishAsync(this.sender.statusTopic, JSON.stringify({ active: false }), { qos: 1, retain: true }).catch(() => undefined);
    await client.endAsync(true).catch(() => undefined);
  }

  private async publishState(): Promise<Record<string, unknown>> {
    const message = this.message();
    await this.connected().publishAsync(this.sender.topic, JSON.stringify(message), { qos: 1, retain: true });
    return message;
  }

  private connected(): MqttClient {
    if (!this.client) throw new Error(`IS-07 sender ${this.sender.resource.id} is not connected to a broker`);
    return this.client;
  }
}
