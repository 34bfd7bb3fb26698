import { Logger } from '@nestjs/common';
import { timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { Aedes, type AuthenticateError, type Client } from 'aedes';

/** MQTT's registered port: the embedded broker's first choice when MQTT_EMBEDDED_PORT is not set. */
const MQTT_DEFAULT_PORT = 1883;

export interface BrokerAccount {
  username: string;
  password: string;
}

/**
 * Who may use the embedded broker: no anonymous client at all; the controller publishes under its
 * topic prefix; subscribers read everything but may not publish there (a spoofed retained
 * `receiver/...` state would be believed by every subscriber).
 */
export interface BrokerAccess {
  controller: BrokerAccount;
  subscriber: BrokerAccount;
  /** MQTT_TOPIC_PREFIX: only the controller publishes at or under it. */
  protectedPrefix: string;
}

/**
 * The default broker when no MQTT_BROKER_URL is given: aedes, a real MQTT 3.1.1 broker, in this
 * process. Subscribers connect to MQTT_EMBEDDED_HOST and the port it reports (`url`), with the
 * subscriber account (printed at start).
 */
export class EmbeddedBroker {
  private constructor(
    private readonly broker: Aedes,
    private readonly server: Server,
  ) {}

  /**
   * `port` given (MQTT_EMBEDDED_PORT): that port, and a taken one stops the start naming the variable.
   * Not given: 1883 when it is free, else any free port, so the first `npm start` works on a machine
   * that already runs Mosquitto; the port chosen is logged and printed at start.
   */
  static async start(host: string, port: number | undefined, access: BrokerAccess): Promise<EmbeddedBroker> {
    const roles = new WeakMap<Client, 'controller' | 'subscriber'>();
    const broker = await Aedes.createBroker({
      authenticate: (client, username, password, done) => {
        const role = [access.controller, access.subscriber].find((account) => account.username === username && samePassword(account.password, password));
        if (!role) return done(Object.assign(new Error('bad user name or password'), { returnCode: 4 }) as AuthenticateError, false);
        roles.set(client, role === access.controller ? 'controller' : 'subscriber');
        done(null, true);
      },
      authorizePublish: (client, packet, done) => {
        const prefix = access.protectedPrefix;
        const protectedTopic = packet.topic === prefix || packet.topic.startsWith(`${prefix}/`);
        // client is null for the broker's own messages (e.g. $SYS).
        if (client && protectedTopic && roles.get(client) !== 'controller') return done(new Error(`only the controller publishes under ${prefix}`));
        done(null);
      },
    });
    const server = createServer(broker.handle);
    const logger = new Logger(EmbeddedBroker.name);
    try {
      try {
        await listen(server, host, port ?? MQTT_DEFAULT_PORT);
      } catch (err) {
        if (port !== undefined || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
        logger.warn({ host, port: MQTT_DEFAULT_PORT }, `port ${MQTT_DEFAULT_PORT} is taken: the embedded MQTT broker takes a free port instead`);
        await listen(server, host, 0);
      }
    } catch (err) {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      const code = (err as NodeJS.ErrnoException).code;
      throw new Error(
        code === 'EADDRINUSE'
          ? `the embedded MQTT broker cannot listen on ${host}:${port}: it is taken (set MQTT_EMBEDDED_PORT, or MQTT_BROKER_URL for an external broker)`
          : (err as Error).message,
      );
    }
    logger.log({ host, port: (server.address() as { port: number }).port }, 'embedded MQTT broker listening');
    return new EmbeddedBroker(broker, server);
  }

  get url(): string {
    const address = this.server.address() as { address: string; port: number };
    return `mqtt://${address.address}:${address.port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.broker.close(() => resolve()));
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function samePassword(expected: string, given: Readonly<Buffer | undefined>): boolean {
  if (!given) return false;
  const wanted = Buffer.from(expected, 'utf8');
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const fail = (err: Error) => reject(err);
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      resolve();
    });
  });
}
