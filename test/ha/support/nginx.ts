import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort } from '../../support/free-port.js';
import { ServiceProcess, waitForPort } from './service-process.js';

const SHIPPED_CONFIG = resolve('deploy/nginx/nginx.conf');

/** `deploy/nginx/nginx.conf` as shipped, with TLS on a self-signed certificate and this machine's replicas and brokers. */
export class Nginx {
  private constructor(
    readonly httpsPort: number,
    readonly ca: string,
    private readonly process: ServiceProcess,
  ) {}

  static async start(dir: string, replicaPorts: number[], brokerWebsocketPorts: [number, number]): Promise<Nginx> {
    const [httpPort, httpsPort] = [await freePort(), await freePort()];
    const [cert, key] = [join(dir, 'nginx.crt'), join(dir, 'nginx.key')];
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        key,
        '-out',
        cert,
      ],
      {
        stdio: 'pipe',
      },
    );
    let config = readFileSync(SHIPPED_CONFIG, 'utf8')
      .replace(/listen 80;/, `listen 127.0.0.1:${httpPort};`)
      .replace(/listen 443 ssl http2;/, `listen 127.0.0.1:${httpsPort} ssl http2;`)
      .replace(/ssl_certificate \S+;/, `ssl_certificate ${cert};`)
      .replace(/ssl_certificate_key \S+;/, `ssl_certificate_key ${key};`)
      .replace('mqtt-primary:9001', `127.0.0.1:${brokerWebsocketPorts[0]}`)
      .replace('mqtt-secondary:9001', `127.0.0.1:${brokerWebsocketPorts[1]}`)
      .replace(/^(\s*http \{)$/m, `$1\n  access_log off;`);
    replicaPorts.forEach((port, i) => (config = config.replace(`controller-${i + 1}:8080`, `127.0.0.1:${port}`)));
    if (/controller-\d|mqtt-\w+:9001|listen 443|listen 80;/.test(config)) throw new Error('nginx.conf has addresses the HA suite does not know how to replace');
    const file = join(dir, 'nginx.conf');
    writeFileSync(file, config);
    const globals = `pid ${join(dir, 'nginx.pid')}; error_log ${join(dir, 'nginx-error.log')} warn;`;
    execFileSync('nginx', ['-t', '-q', '-p', dir, '-c', file, '-g', globals], { stdio: 'pipe' });
    const process = ServiceProcess.spawn('nginx', 'nginx', ['-p', dir, '-c', file, '-g', `daemon off; ${globals}`]);
    await waitForPort(httpsPort, 'nginx', 10_000, process);
    return new Nginx(httpsPort, readFileSync(cert, 'utf8'), process);
  }

  get url(): string {
    return `https://127.0.0.1:${this.httpsPort}`;
  }

  stop(): Promise<void> {
    return this.process.kill('SIGTERM');
  }
}
