import { Injectable, Logger } from '@nestjs/common';
import { BaseRpcContext, Server, type CustomTransportStrategy } from '@nestjs/microservices';
import { brokerUrl, type MessageHandler as TopicHandler } from '../infra/mqtt-connection.js';
import { BrokerLink } from './broker-link.service.js';

/** What an `@EventPattern` handler gets with `@Ctx()`: the topic the message came on. */
export class MqttTopicContext extends BaseRpcContext<[string]> {
  getTopic(): string {
    return this.args[0];
  }
}

/**
 * Other systems' topics as a Nest microservice transport over this replica's own broker connection:
 * a module consumes them with `@EventPattern` handlers in its controllers, given the message's JSON as
 * is (no Nest packet envelope, which third-party publishers do not write) and a `MqttTopicContext`.
 *
 * A pattern containing `/` is an MQTT topic filter (`+`, `#`), subscribed when the transport starts.
 * Any other pattern names a handler for topics found at run time (an IS-07 sender's topic, read from
 * its device): `route(topic, pattern)` subscribes the topic to it, `unroute` stops. Subscriptions
 * hold across reconnections and broker failovers (`MqttConnection`); a handler's failure is logged
 * and the next message is handled. The outbox relay keeps its own publishing path: Nest's client has
 * no offline queue.
 */
@Injectable()
export class MqttTopicsServer extends Server implements CustomTransportStrategy {
  protected override readonly logger = new Logger(MqttTopicsServer.name);
  private readonly routes = new Map<string, { pattern: string; deliver: TopicHandler }>();
  private readonly filters: Array<{ filter: string; deliver: TopicHandler }> = [];
  private started!: () => void;
  /** Resolves once the transport listens (its handlers are registered): `route` works from then on. */
  readonly listening = new Promise<void>((resolve) => (this.started = resolve));

  constructor(private readonly link: BrokerLink) {
    super();
  }

  listen(callback: (err?: unknown) => void): void {
    const subscribing = [...this.getHandlers().keys()]
      .filter((pattern) => pattern.includes('/'))
      .map((filter) => {
        const deliver = this.deliverTo(filter);
        this.filters.push({ filter, deliver });
        return this.link.connection.subscribe(filter, deliver);
      });
    this.started();
    Promise.all(subscribing).then(
      () => callback(),
      (err: unknown) => callback(err),
    );
  }

  async close(): Promise<void> {
    const connection = this.link.connection;
    for (const { filter, deliver } of this.filters.splice(0)) await connection?.unsubscribe(filter, deliver);
    for (const topic of [...this.routes.keys()]) await this.unroute(topic);
  }

  /** Deliver `topic`'s messages to the handler of `pattern` (replacing an earlier route of the topic). */
  async route(topic: string, pattern: string): Promise<void> {
    if (!this.getHandlerByPattern(pattern)) throw new Error(`no @EventPattern('${pattern}') handler is registered`);
    const current = this.routes.get(topic);
    if (current?.pattern === pattern) return;
    if (current) await this.unroute(topic);
    const deliver = this.deliverTo(pattern);
    this.routes.set(topic, { pattern, deliver });
    await this.link.connection.subscribe(topic, deliver);
  }

  async unroute(topic: string): Promise<void> {
    const current = this.routes.get(topic);
    if (!current) return;
    this.routes.delete(topic);
    await this.link.connection.unsubscribe(topic, current.deliver);
  }

  /**
   * Whether a broker another system names (an IS-07 sender's `destination_host` and port) is one this
   * transport's connection reaches: only its messages can be consumed.
   */
  reaches(host: string, port: number): boolean {
    return this.link.urls.some((url) => {
      const broker = new URL(brokerUrl(url));
      const brokerPort = Number(broker.port || (broker.protocol === 'mqtts:' ? 8883 : 1883));
      return broker.hostname.toLowerCase() === host.toLowerCase() && brokerPort === port;
    });
  }

  /** Topics routed at run time, with their handler's pattern. */
  get routed(): ReadonlyMap<string, string> {
    return new Map([...this.routes].map(([topic, { pattern }]) => [topic, pattern]));
  }

  /** The topology is ours to reach through the link; nothing else to unwrap. */
  unwrap<T>(): T {
    return this.link.connection as T;
  }

  on(): never {
    throw new Error('MqttTopicsServer has no events to listen to: its connection reports through BrokerLink');
  }

  private deliverTo(pattern: string): TopicHandler {
    return (topic, message) => {
      this.handleEvent(pattern, { pattern, data: message }, new MqttTopicContext([topic])).catch((err: unknown) =>
        this.logger.warn({ topic, pattern, err: (err as Error)?.message ?? String(err) }, 'a topic handler failed'),
      );
    };
  }
}
