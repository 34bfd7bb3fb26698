import { join } from 'node:path';
import { freePort } from '../../support/free-port.js';
import { ServiceProcess, waitForPort } from './service-process.js';

/** One etcd member (Debian's etcd-server), Patroni's DCS: enough for one machine; a site runs three. */
export class Etcd {
  private constructor(
    readonly clientPort: number,
    private readonly process: ServiceProcess,
  ) {}

  static async start(dir: string): Promise<Etcd> {
    const [clientPort, peerPort] = [await freePort(), await freePort()];
    const peer = `http://127.0.0.1:${peerPort}`;
    const client = `http://127.0.0.1:${clientPort}`;
    const process = ServiceProcess.spawn('etcd', 'etcd', [
      '--name=etcd-1',
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=${client}`,
      `--advertise-client-urls=${client}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=etcd-1=${peer}`,
      '--enable-v2=false',
    ]);
    await waitForPort(clientPort, 'etcd', 30_000, process);
    return new Etcd(clientPort, process);
  }

  get hosts(): string {
    return `127.0.0.1:${this.clientPort}`;
  }

  stop(): Promise<void> {
    return this.process.kill('SIGTERM');
  }
}
