import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { ApiClient } from './api-client.js';
import { freePort } from './free-port.js';

const MAIN = resolve('dist/apps/controller/src/main.js');

/**
 * The built controller (`npm run build`) as a separate process, for what only processes can show:
 * SIGKILL, SIGTERM, several replicas, exit codes.
 */
export class ControllerProcess {
  private output = '';
  readonly exited: Promise<number | null>;

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {
    child.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (this.output += d.toString()));
    this.exited = new Promise((done) => child.once('exit', (code) => done(code)));
  }

  static async spawn(env: Record<string, string>, port?: number): Promise<ControllerProcess> {
    const listenOn = port ?? (await freePort());
    const child = spawn(process.execPath, [MAIN], {
      env: {
        PATH: process.env.PATH,
        HOST: '127.0.0.1',
        PORT: String(listenOn),
        LOG_LEVEL: 'info',
        SHUTDOWN_DRAIN_SECONDS: '0',
        MQTT_EMBEDDED_PORT: '0',
        // Tests read lease holders, modes and registry detail from the probe (production shows statuses only).
        HEALTH_DETAIL: 'full',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: resolve('.'),
    });
    return new ControllerProcess(child, listenOn);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get api(): ApiClient {
    return new ApiClient(this.url);
  }

  get log(): string {
    return this.output;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Resolves when the process prints that it listens; rejects with its output if it exits first. */
  async ready(timeoutMs = 60_000): Promise<this> {
    const deadline = Date.now() + timeoutMs;
    while (!this.output.includes('nmos-control listening on')) {
      if (this.child.exitCode !== null) throw new Error(`controller exited (${this.child.exitCode}):\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`controller not ready within ${timeoutMs} ms:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return this;
  }

  signal(signal: NodeJS.Signals): void {
    if (this.child.exitCode === null) this.child.kill(signal);
  }

  async stop(): Promise<void> {
    this.signal('SIGKILL');
    await this.exited;
  }
}
