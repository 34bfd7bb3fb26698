import { execFile } from 'node:child_process';
import { chown, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { serverOsUser } from '#database';
import { freePort } from '../../support/free-port.js';

const run = promisify(execFile);
export const PG_BIN = '/usr/lib/postgresql/15/bin';

/**
 * A PostgreSQL 15 cluster from Debian's packages (the version the deployment files run), driven with its
 * own tools as the `postgres` OS user: what a site's backup and restore runbook uses (pg_dump,
 * pg_restore, pg_basebackup, WAL archiving), which the npm-shipped server does not include.
 */
export class DebianPostgres {
  private constructor(
    readonly dataDir: string,
    readonly port: number,
    private readonly socketDir: string,
  ) {}

  /** A new cluster in `dir`, with `settings` added to postgresql.conf (trust auth on loopback: a test cluster). */
  static async create(dir: string, settings: Record<string, string> = {}): Promise<DebianPostgres> {
    await mkdir(dir, { mode: 0o700 });
    await ownByPostgres(dir);
    const dataDir = join(dir, 'data');
    await DebianPostgres.tool('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-locale']);
    return DebianPostgres.adopt(dir, dataDir, settings);
  }

  /** A data folder made another way (a restored base backup), started with `settings` added. */
  static async adopt(dir: string, dataDir: string, settings: Record<string, string> = {}): Promise<DebianPostgres> {
    const server = new DebianPostgres(dataDir, await freePort(), dir);
    const conf = { listen_addresses: "'127.0.0.1'", port: String(server.port), unix_socket_directories: `'${dir}'`, fsync: 'off', ...settings };
    await writeFile(
      join(dataDir, 'postgresql.auto.conf'),
      Object.entries(conf)
        .map(([k, v]) => `${k} = ${v}\n`)
        .join(''),
    );
    await ownByPostgres(join(dataDir, 'postgresql.auto.conf'));
    return server;
  }

  /** Runs one of Debian's PostgreSQL programs as the `postgres` user; answers its output. */
  static async tool(name: string, args: string[]): Promise<string> {
    const owner = await serverOsUser();
    const { stdout } = await run(join(PG_BIN, name), args, { ...(owner ?? {}), maxBuffer: 64 * 1024 * 1024, env: { PATH: process.env.PATH, LC_ALL: 'C' } });
    return stdout;
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}`;
  }

  /** Starts and waits until it accepts connections (for a recovery: until it has recovered and promoted, see waitForPromotion). */
  async start(): Promise<void> {
    await DebianPostgres.tool('pg_ctl', ['-D', this.dataDir, '-l', join(this.socketDir, 'server.log'), '-w', '-t', '120', 'start']);
  }

  async stop(): Promise<void> {
    await DebianPostgres.tool('pg_ctl', ['-D', this.dataDir, '-m', 'fast', '-w', 'stop']).catch(() => undefined);
  }

  async query<T extends pg.QueryResultRow>(text: string, values: unknown[] = [], database = 'postgres'): Promise<T[]> {
    const client = new pg.Client({ connectionString: `${this.url}/${database}` });
    await client.connect();
    try {
      return (await client.query<T>(text, values)).rows;
    } finally {
      await client.end();
    }
  }
}

export async function ownByPostgres(path: string): Promise<void> {
  const owner = await serverOsUser();
  if (owner) await chown(path, owner.uid, owner.gid);
}
