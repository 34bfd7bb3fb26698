import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { accepts } from './free-port.js';

/** A Mosquitto broker of our own (Debian's package), on a free port, optionally bridged to another. */
export class Mosquitto {
  private process?: ChildProcess;
  private exited?: Promise<void>;

  constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly bridgeTo?: { port: number; topics: string },
  ) {}

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const config = join(this.dir, `mosquitto-${this.port}.conf`);
    const lines = [`listener ${this.port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', 'log_dest stderr'];
    if (this.bridgeTo) {
      lines.push(
        'connection bridge',
        `address 127.0.0.1:${this.bridgeTo.port}`,
        `topic ${this.bridgeTo.topics} both 1`,
        'restart_timeout 1',
        'cleansession true',
      );
    }
    writeFileSync(config, `${lines.join('\n')}\n`);
    const child = spawn('mosquitto', ['-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.on('data', () => undefined);
    this.process = child;
    this.exited = new Promise((done) => child.once('exit', () => done()));
    for (let i = 0; i < 100; i++) {
      if (await accepts(this.port)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`mosquitto did not listen on ${this.port}`);
  }

  async kill(): Promise<void> {
    this.process?.kill('SIGKILL');
    await this.exited;
  }
}
