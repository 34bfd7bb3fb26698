import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort } from '../../support/free-port.js';
import type { PatroniNode } from './patroni-cluster.js';
import { ServiceProcess, waitForPort } from './service-process.js';

const SHIPPED_CONFIG = resolve('deploy/haproxy/haproxy.cfg');

/** `deploy/haproxy/haproxy.cfg` as shipped, its addresses pointed at this machine's Patroni nodes. */
export class HaProxy {
  private constructor(
    readonly primaryPort: number,
    readonly replicasPort: number,
    private readonly process: ServiceProcess,
  ) {}

  static async start(dir: string, nodes: PatroniNode[]): Promise<HaProxy> {
    const [primaryPort, replicasPort] = [await freePort(), await freePort()];
    let config = readFileSync(SHIPPED_CONFIG, 'utf8')
      .replace(/^(\s*)bind :5000$/m, `$1bind 127.0.0.1:${primaryPort}`)
      .replace(/^(\s*)bind :5001$/m, `$1bind 127.0.0.1:${replicasPort}`);
    for (const node of nodes)
      config = config.replace(
        new RegExp(`server ${node.name} ${node.name}:5432 (.*) check port 8008`, 'g'),
        `server ${node.name} 127.0.0.1:${node.pgPort} $1 check port ${node.restPort}`,
      );
    if (/pg-\d:5432|port 8008|bind :/.test(config)) throw new Error('haproxy.cfg has addresses the HA suite does not know how to replace');
    const file = join(dir, 'haproxy.cfg');
    writeFileSync(file, config);
    execFileSync('haproxy', ['-c', '-q', '-f', file]);
    const process = ServiceProcess.spawn('haproxy', 'haproxy', ['-db', '-f', file]);
    await waitForPort(primaryPort, 'haproxy', 10_000, process);
    return new HaProxy(primaryPort, replicasPort, process);
  }

  stop(): Promise<void> {
    return this.process.kill('SIGTERM');
  }
}
