import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { freePort } from '../../support/free-port.js';
import { ServiceProcess, waitForPort } from './service-process.js';

export interface Broker {
  name: 'mqtt-primary' | 'mqtt-secondary';
  port: number;
  websocketPort: number;
  url: string;
  process: ServiceProcess;
}

/**
 * The Mosquitto pair of `deploy/mosquitto/` as shipped (the primary bridged to the secondary), on
 * loopback ports with their own persistence folders.
 */
export class BrokerPair {
  private constructor(
    private readonly dir: string,
    readonly brokers: [Broker, Broker],
  ) {}

  static async start(dir: string): Promise<BrokerPair> {
    const ports = { primary: await freePort(), primaryWs: await freePort(), secondary: await freePort(), secondaryWs: await freePort() };
    const brokers: Broker[] = [];
    for (const [name, port, ws] of [
      ['mqtt-secondary', ports.secondary, ports.secondaryWs],
      ['mqtt-primary', ports.primary, ports.primaryWs],
    ] as const) {
      const data = join(dir, name);
      await mkdir(data, { recursive: true });
      await chmod(data, 0o777); // Mosquitto drops root for its own user
      const config = (await readFile(resolve(`deploy/mosquitto/${name.replace('mqtt-', 'mosquitto-')}.conf`), 'utf8'))
        .replace(/^listener 1883$/m, `listener ${port} 127.0.0.1`)
        .replace(/^listener 9001$/m, `listener ${ws} 127.0.0.1`)
        .replace(/^persistence_location .*$/m, `persistence_location ${data}/`)
        .replace(/^address mqtt-secondary:1883$/m, `address 127.0.0.1:${ports.secondary}`);
      await writeFile(join(dir, `${name}.conf`), config);
      brokers.push({ name, port, websocketPort: ws, url: `mqtt://127.0.0.1:${port}`, process: undefined! });
    }
    const pair = new BrokerPair(dir, [brokers[1], brokers[0]]);
    for (const broker of [brokers[0], brokers[1]]) await pair.start(broker);
    return pair;
  }

  get primary(): Broker {
    return this.brokers[0];
  }

  get secondary(): Broker {
    return this.brokers[1];
  }

  /** Starts (or restarts, with its persisted sessions) one broker. */
  async start(broker: Broker): Promise<void> {
    broker.process = ServiceProcess.spawn(broker.name, 'mosquitto', ['-c', join(this.dir, `${broker.name}.conf`)]);
    await waitForPort(broker.port, broker.name, 10_000, broker.process);
  }

  async kill(broker: Broker): Promise<void> {
    await broker.process.kill('SIGKILL');
  }

  async stop(): Promise<void> {
    await Promise.all(this.brokers.map((b) => b.process?.kill('SIGKILL')));
  }
}
