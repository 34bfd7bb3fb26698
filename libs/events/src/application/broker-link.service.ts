import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { INSTANCE_ID } from '#common';
import { AppConfig, dataDirSecret } from '#config';
import { EmbeddedBroker, type BrokerAccount } from '../infra/embedded-broker.js';
import { MQTT_CONNECTION_FACTORY, type MqttConnection, type MqttConnectionFactory } from '../infra/mqtt-connection.js';

/** This replica's broker connection, and the embedded broker when no MQTT_BROKER_URL is configured. */
@Injectable()
export class BrokerLink implements OnModuleInit, OnApplicationShutdown {
  connection!: MqttConnection;
  /** The brokers this replica connects to, in the order it tries them. */
  urls: string[] = [];
  private embedded?: EmbeddedBroker;

  constructor(
    private readonly config: AppConfig,
    @Inject(MQTT_CONNECTION_FACTORY) private readonly newConnection: MqttConnectionFactory,
  ) {}

  async onModuleInit(): Promise<void> {
    const settings = this.config.events;
    let urls = settings.brokerUrls;
    let ownSettings = settings;
    if (!urls) {
      // Passwords generated on first start and kept in DATA_DIR, like the JWT secret.
      const controller = { username: 'nmos-control', password: dataDirSecret(this.config.dataDir, 'mqtt-controller.secret') };
      this.subscriberAccount = { username: 'subscriber', password: dataDirSecret(this.config.dataDir, 'mqtt-subscriber.secret') };
      this.embedded = await EmbeddedBroker.start(settings.embeddedHost, settings.embeddedPort, {
        controller,
        subscriber: this.subscriberAccount,
        protectedPrefix: settings.topicPrefix,
      });
      urls = [this.embedded.url];
      ownSettings = { ...settings, ...controller };
    }
    // Unique per replica: replicas started in the same second must not take over each other's session.
    this.urls = urls;
    this.connection = this.newConnection(urls, ownSettings, `nmos-control-${INSTANCE_ID}`);
    this.connection.start();
  }

  /** Where the embedded broker listens; undefined with external brokers. */
  get embeddedUrl(): string | undefined {
    return this.embedded?.url;
  }

  /** The account subscribers use on the embedded broker (read everything, publish nothing under the prefix). */
  subscriberAccount?: BrokerAccount;

  async onApplicationShutdown(): Promise<void> {
    await this.connection?.stop();
    await this.embedded?.stop();
  }
}
