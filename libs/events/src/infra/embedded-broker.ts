import { Logger } from '@nestjs/common';
import { createServer, type Server } from 'node:net';
import { Aedes } from 'aedes';

/**
 * The default broker when no MQTT_BROKER_URL is given: aedes, a real MQTT 3.1.1 broker, in this
 * process. Subscribers connect to MQTT_EMBEDDED_HOST:MQTT_EMBEDDED_PORT.
 */
export class EmbeddedBroker {
  private constructor(
    private readonly broker: Aedes,
    private readonly server: Server,
  ) {}

  static async start(host: string, port: number): Promise<EmbeddedBroker> {
    const broker = await Aedes.createBroker();
    const server = createServer(broker.handle);
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve());
      });
    } catch (err) {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      const code = (err as NodeJS.ErrnoException).code;
      throw new Error(
        code === 'EADDRINUSE'
          ? `the embedded MQTT broker cannot listen on ${host}:${port}: it is taken (set MQTT_EMBEDDED_PORT, or MQTT_BROKER_URL for an external broker)`
          : (err as Error).message,
      );
    }
    new Logger(EmbeddedBroker.name).log({ host, port: (server.address() as { port: number }).port }, 'embedded MQTT broker listening');
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
