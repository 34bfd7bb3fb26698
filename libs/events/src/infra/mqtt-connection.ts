import { Logger } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { sleep } from '#common';
import type { EventsSettings } from '#config';

export type BrokerListener = (broker: string) => void;
export type MessageHandler = (topic: string, message: unknown) => void;

/** Makes this replica's broker connection; a provider (MQTT_CONNECTION_FACTORY), so tests replace it. */
export type MqttConnectionFactory = (urls: string[], settings: EventsSettings, clientId: string) => MqttConnection;
export const MQTT_CONNECTION_FACTORY = Symbol('MQTT_CONNECTION_FACTORY');

/**
 * One MQTT connection per replica, kept for ever: it tries the brokers of MQTT_BROKER_URL in turn (a
 * bridge pair or cluster nodes), from the first again after a failure of the last, with a client id
 * unique to this replica and a retained last-will presence topic. mqtt.js directly: Nest's ClientMqtt
 * fails at once during an outage and wraps payloads (FIELD-NOTES).
 */
export class MqttConnection {
  private readonly logger = new Logger(MqttConnection.name);
  private client?: MqttClient;
  private broker?: string;
  private stopped = false;
  private readonly abort = new AbortController();
  private readonly onConnectListeners = new Set<BrokerListener>();
  private readonly subscriptions = new Map<string, Set<MessageHandler>>();
  private running?: Promise<void>;

  constructor(
    private readonly urls: string[],
    private readonly settings: EventsSettings,
    readonly clientId: string,
  ) {}

  get connectedTo(): string | undefined {
    return this.client?.connected ? this.broker : undefined;
  }

  get presenceTopic(): string {
    return `${this.settings.topicPrefix}/presence/${this.clientId}`;
  }

  /** Called with the broker's URL on every (re)connection. */
  onConnect(listener: BrokerListener): void {
    this.onConnectListeners.add(listener);
  }

  start(): void {
    this.running = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    if (this.client?.connected) {
      await this.client
        .publishAsync(this.presenceTopic, JSON.stringify({ instance: this.clientId, state: 'offline' }), { qos: 1, retain: true })
        .catch(() => undefined);
    }
    await this.client?.endAsync(true).catch(() => undefined);
    await this.running;
  }

  /** Resolves on the broker's PUBACK (QoS 1); rejects when not connected or the connection drops first. */
  async publish(topic: string, payload: string, retain: boolean): Promise<void> {
    const client = this.client;
    if (!client?.connected) throw new Error('not connected to a broker');
    await client.publishAsync(topic, payload, { qos: 1, retain });
  }

  /**
   * Third-party topics (IS-07 senders' through MqttTopicsServer): raw JSON, no Nest packet envelope.
   * The subscription holds across reconnections and broker failovers; it starts now if connected,
   * else on connection.
   */
  async subscribe(topic: string, handler: MessageHandler): Promise<void> {
    const handlers = this.subscriptions.get(topic) ?? new Set<MessageHandler>();
    handlers.add(handler);
    this.subscriptions.set(topic, handlers);
    if (this.client?.connected) await this.client.subscribeAsync(topic, { qos: 1 });
  }

  /** Stops giving `topic` to `handler`; the broker subscription ends with the topic's last handler. */
  async unsubscribe(topic: string, handler: MessageHandler): Promise<void> {
    const handlers = this.subscriptions.get(topic);
    if (!handlers?.delete(handler) || handlers.size > 0) return;
    this.subscriptions.delete(topic);
    if (this.client?.connected) await this.client.unsubscribeAsync(topic).catch(() => undefined);
  }

  private dispatch(received: string, payload: Buffer): void {
    const wanted = [...this.subscriptions.entries()].filter(([filter]) => matches(filter, received));
    if (wanted.length === 0) return;
    let message: unknown;
    try {
      message = JSON.parse(payload.toString('utf8'));
    } catch {
      this.logger.warn({ topic: received }, 'ignored a message that is not JSON');
      return;
    }
    for (const [, handlers] of wanted) for (const handler of handlers) handler(received, message);
  }

  private async run(): Promise<void> {
    for (let attempt = 0; !this.stopped; attempt++) {
      const url = this.urls[attempt % this.urls.length];
      try {
        await this.session(url);
      } catch (err) {
        if (!this.stopped) this.logger.warn({ broker: url, err: (err as Error).message }, 'MQTT broker unreachable or lost; trying the next');
      }
      await sleep(Math.min(5_000, 250 * 2 ** Math.min(attempt % 8, 5)), this.abort.signal);
    }
  }

  /** One connection to one broker; resolves or rejects when it ends. */
  private async session(url: string): Promise<void> {
    const options: IClientOptions = {
      clientId: this.clientId,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: 5_000,
      protocolVersion: 4,
      username: this.settings.username,
      password: this.settings.password,
      ca: this.settings.tls.caFile ? readFileSync(this.settings.tls.caFile) : undefined,
      cert: this.settings.tls.certFile ? readFileSync(this.settings.tls.certFile) : undefined,
      key: this.settings.tls.keyFile ? readFileSync(this.settings.tls.keyFile) : undefined,
      will: { topic: this.presenceTopic, payload: Buffer.from(JSON.stringify({ instance: this.clientId, state: 'offline' })), qos: 1, retain: true },
    };
    const client = await mqtt.connectAsync(brokerUrl(url), options);
    this.client = client;
    this.broker = url;
    client.on('error', (err) => this.logger.warn({ broker: url, err: err.message }, 'MQTT error'));
    client.on('message', (topic, payload) => this.dispatch(topic, payload));
    for (const topic of this.subscriptions.keys()) await client.subscribeAsync(topic, { qos: 1 });
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    this.logger.log({ broker: url, client_id: this.clientId }, 'connected to MQTT broker');
    await client
      .publishAsync(this.presenceTopic, JSON.stringify({ instance: this.clientId, state: 'online' }), { qos: 1, retain: true })
      .catch(() => undefined);
    for (const listener of this.onConnectListeners) listener(url);
    await closed;
    client.removeAllListeners();
    client.end(true);
  }
}

/** MQTT_BROKER_URL's `tcp://` and `ssl://` (Paho's, GO-NMOS's) as mqtt.js names them. */
export function brokerUrl(url: string): string {
  return url.replace(/^tcp:/, 'mqtt:').replace(/^ssl:/, 'mqtts:');
}

/** MQTT topic filter matching (+ one level, # the rest). */
function matches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}
