import { spawn, type ChildProcess } from 'node:child_process';
import { accepts } from '../../support/free-port.js';

const KEPT_LOG_CHARS = 400_000;

/** A program of Debian's (etcd, Patroni, HAProxy, nginx, Mosquitto) run by the HA suite, with its output kept for failures. */
export class ServiceProcess {
  private output = '';
  readonly exited: Promise<number | null>;

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    const keep = (d: Buffer) => (this.output = (this.output + d.toString()).slice(-KEPT_LOG_CHARS));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((done) => child.once('exit', (code) => done(code)));
  }

  static spawn(
    name: string,
    command: string,
    args: string[],
    options: { env?: Record<string, string>; uid?: number; gid?: number; cwd?: string } = {},
  ): ServiceProcess {
    const child = spawn(command, args, {
      env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', ...options.env },
      uid: options.uid,
      gid: options.gid,
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new ServiceProcess(name, child);
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  get log(): string {
    return this.output;
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL', timeoutMs = 15_000): Promise<void> {
    if (!this.running) return;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Until something accepts TCP connections on the port (a program's "ready" when it prints nothing useful). */
export async function waitForPort(port: number, what: string, timeoutMs = 30_000, process?: ServiceProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await accepts(port))) {
    if (process && !process.running) throw new Error(`${what} exited before listening on ${port}:\n${process.log.slice(-4000)}`);
    if (Date.now() > deadline) throw new Error(`${what} did not listen on ${port} within ${timeoutMs} ms${process ? `:\n${process.log.slice(-4000)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
