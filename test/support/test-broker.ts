import { createServer, type Server } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { Aedes } from 'aedes';

export interface ReceivedMessage {
  topic: string;
  payload: any;
  retain: boolean;
}

/**
 * A real MQTT broker (aedes) the test starts, kills and restarts on a fixed port. Messages are
 * collected inside the broker, subscribed before it listens, so none published is missed.
 */
export class TestBroker {
  readonly received: ReceivedMessage[] = [];
  readonly clientIds: string[] = [];
  private broker?: Aedes;
  private server?: Server;

  constructor(
    readonly port: number,
    private readonly filter: string,
    /** A TLS listener (mqtts://localhost) with this key and certificate. */
    private readonly tls?: { key: Buffer; cert: Buffer },
  ) {}

  get url(): string {
    return this.tls ? `mqtts://localhost:${this.port}` : `mqtt://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const broker = await Aedes.createBroker();
    broker.on('client', (client) => this.clientIds.push(client.id));
    await new Promise<void>((resolve) =>
      broker.subscribe(
        this.filter,
        (packet, done) => {
          // A zero-length payload clears a retained message: recorded as null.
          this.received.push({
            topic: packet.topic,
            payload: packet.payload.length === 0 ? null : JSON.parse(packet.payload.toString()),
            retain: packet.retain,
          });
          done();
        },
        () => resolve(),
      ),
    );
    const server = this.tls ? createTlsServer(this.tls, broker.handle) : createServer(broker.handle);
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', () => resolve()));
    this.broker = broker;
    this.server = server;
  }

  /** A crash: every connection cut, nothing kept. */
  async kill(): Promise<void> {
    const [broker, server] = [this.broker, this.server];
    if (broker) await new Promise<void>((resolve) => broker.close(() => resolve()));
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    this.broker = undefined;
    this.server = undefined;
  }
}
