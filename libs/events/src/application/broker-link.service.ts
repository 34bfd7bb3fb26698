import { Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { INSTANCE_ID } from '#common';
import { AppConfig } from '#config';
import { EmbeddedBroker } from '../infra/embedded-broker.js';
import { MqttConnection } from '../infra/mqtt-connection.js';

/** This replica's broker connection, and the embedded broker when no MQTT_BROKER_URL is configured. */
@Injectable()
export class BrokerLink implements OnModuleInit, OnApplicationShutdown {
  connection!: MqttConnection;
  private embedded?: EmbeddedBroker;

  constructor(private readonly config: AppConfig) {}

  async onModuleInit(): Promise<void> {
    const settings = this.config.events;
    let urls = settings.brokerUrls;
    if (!urls) {
      this.embedded = await EmbeddedBroker.start(settings.embeddedHost, settings.embeddedPort);
      urls = [this.embedded.url];
    }
    // Unique per replica: replicas started in the same second must not take over each other's session.
    this.connection = new MqttConnection(urls, settings, `nmos-control-${INSTANCE_ID}`);
    this.connection.start();
  }

  /** Where the embedded broker listens; undefined with external brokers. */
  get embeddedUrl(): string | undefined {
    return this.embedded?.url;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.connection?.stop();
    await this.embedded?.stop();
  }
}
