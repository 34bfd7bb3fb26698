import { execFileSync } from 'node:child_process';
import { chown, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { serverOsUser } from '#database';
import { freePort } from '../../support/free-port.js';
import { ServiceProcess, waitForPort } from './service-process.js';

const SHIPPED_CONFIG = resolve('deploy/patroni/patroni.yml');
const POST_BOOTSTRAP = resolve('deploy/patroni/post-bootstrap.sh');
const BIN_DIR = '/usr/lib/postgresql/15/bin';

export const PATRONI_PASSWORDS = { superuser: 'ha-superuser-pw', replication: 'ha-replication-pw', rewind: 'ha-rewind-pw', app: 'ha-app-pw' };

export interface PatroniNode {
  name: string;
  pgPort: number;
  restPort: number;
  dir: string;
  process: ServiceProcess;
}

export interface ClusterMember {
  name: string;
  role: string;
  state: string;
  lag?: number | string;
}

/**
 * Three PostgreSQL 15 nodes (Debian's) under Patroni, with `deploy/patroni/patroni.yml` as shipped
 * but for each node's addresses and folders. Patroni runs as the `postgres` OS user: PostgreSQL refuses root.
 */
export class PatroniCluster {
  private constructor(readonly nodes: PatroniNode[]) {}

  static async start(dir: string, etcdHosts: string, count = 3): Promise<PatroniCluster> {
    await validateShippedConfig(dir, etcdHosts);
    const owner = (await serverOsUser())!;
    const shipped = parse(await readFile(SHIPPED_CONFIG, 'utf8'));
    const nodes: PatroniNode[] = [];
    // The shipped archive_command, into one archive the members share (as an NFS mount would be).
    const archive = join(dir, 'wal-archive');
    await mkdir(archive, { mode: 0o700 });
    await chown(archive, owner.uid, owner.gid);
    for (let i = 1; i <= count; i++) {
      const nodeDir = join(dir, `pg-${i}`);
      await mkdir(nodeDir, { mode: 0o700 });
      await chown(nodeDir, owner.uid, owner.gid);
      const [pgPort, restPort] = [await freePort(), await freePort()];
      const config = structuredClone(shipped);
      config.name = `pg-${i}`;
      config.restapi = { listen: `127.0.0.1:${restPort}`, connect_address: `127.0.0.1:${restPort}` };
      config.etcd3 = { hosts: etcdHosts };
      config.bootstrap.post_bootstrap = POST_BOOTSTRAP;
      Object.assign(config.postgresql, {
        listen: `127.0.0.1:${pgPort}`,
        connect_address: `127.0.0.1:${pgPort}`,
        data_dir: join(nodeDir, 'data'),
        pgpass: join(nodeDir, 'pgpass'),
        bin_dir: BIN_DIR,
      });
      config.postgresql.parameters = { ...config.postgresql.parameters, unix_socket_directories: nodeDir, fsync: 'off' };
      const shared = config.bootstrap.dcs.postgresql.parameters;
      shared.archive_command = String(shared.archive_command).replaceAll('/backup/wal', archive);
      const file = join(nodeDir, 'patroni.yml');
      await writeFile(file, stringify(config));
      await chown(file, owner.uid, owner.gid);
      nodes.push({ name: `pg-${i}`, pgPort, restPort, dir: nodeDir, process: spawnPatroni(`pg-${i}`, file, nodeDir, owner) });
      // The first node bootstraps the cluster; the others clone it once it leads.
      if (i === 1) await waitForPort(pgPort, 'the first Patroni node', 60_000, nodes[0].process);
    }
    const cluster = new PatroniCluster(nodes);
    await cluster.waitUntilHealthy(120_000);
    return cluster;
  }

  async members(): Promise<ClusterMember[]> {
    for (const node of this.nodes) {
      try {
        const res = await fetch(`http://127.0.0.1:${node.restPort}/cluster`, { signal: AbortSignal.timeout(2_000) });
        if (res.ok) return ((await res.json()) as { members: ClusterMember[] }).members;
      } catch {
        // that node's REST API is down: ask the next
      }
    }
    return [];
  }

  async leader(): Promise<PatroniNode | undefined> {
    const leader = (await this.members()).find((m) => m.role === 'leader' && m.state === 'running');
    return this.nodes.find((n) => n.name === leader?.name);
  }

  /** A running leader, a synchronous standby, and every node running and streaming again. */
  async waitUntilHealthy(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let seen: ClusterMember[] = [];
    for (;;) {
      seen = await this.members();
      const running = seen.filter((m) => m.state === 'running' || m.state === 'streaming');
      if (
        running.length === this.nodes.length &&
        seen.some((m) => m.role === 'leader') &&
        seen.some((m) => m.role === 'sync_standby') &&
        seen.every((m) => m.role === 'leader' || m.state === 'streaming' || (m.lag !== undefined && m.lag !== 'unknown'))
      )
        return;
      if (Date.now() > deadline)
        throw new Error(
          `the Patroni cluster is not healthy: ${JSON.stringify(seen)}\n${this.nodes.map((n) => `${n.name}:\n${n.process.log.slice(-3000)}`).join('\n')}`,
        );
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  /** kill -9 of the node's postmaster only: Patroni lives on and (with primary_start_timeout 0) fails over. */
  async killPostmaster(node: PatroniNode): Promise<void> {
    process.kill(await postmasterPid(node), 'SIGKILL');
  }

  /** The whole node at once, as a machine crash: Patroni and its PostgreSQL. */
  async killNode(node: PatroniNode): Promise<void> {
    const pid = await postmasterPid(node).catch(() => undefined);
    await node.process.kill('SIGKILL');
    if (pid) killQuietly(pid);
  }

  /** Patroni started again on a node killed whole: it rejoins as a replica (pg_rewind) by itself. */
  async restartNode(node: PatroniNode): Promise<void> {
    const owner = (await serverOsUser())!;
    node.process = spawnPatroni(node.name, join(node.dir, 'patroni.yml'), node.dir, owner);
  }

  async stop(): Promise<void> {
    const pids = await Promise.all(this.nodes.map((n) => postmasterPid(n).catch(() => undefined)));
    await Promise.all(this.nodes.map((n) => n.process.kill('SIGTERM', 20_000)));
    for (const pid of pids) if (pid) killQuietly(pid);
  }
}

/**
 * Patroni's own check of the shipped file, as a site would run it on a node: its per-node settings
 * from the environment. It needs the DCS reachable and its ports free, and refuses 127.0.0.1 as a
 * connect address (FIELD-NOTES), hence 127.0.0.2.
 */
async function validateShippedConfig(dir: string, etcdHosts: string): Promise<void> {
  const [pgPort, restPort] = [await freePort(), await freePort()];
  const validate = () =>
    execFileSync('patroni', ['--validate-config', SHIPPED_CONFIG], {
      stdio: 'pipe',
      env: {
        PATH: process.env.PATH,
        PATRONI_ETCD3_HOSTS: etcdHosts,
        PATRONI_RESTAPI_LISTEN: `127.0.0.2:${restPort}`,
        PATRONI_RESTAPI_CONNECT_ADDRESS: `127.0.0.2:${restPort}`,
        PATRONI_POSTGRESQL_LISTEN: `127.0.0.2:${pgPort}`,
        PATRONI_POSTGRESQL_CONNECT_ADDRESS: `127.0.0.2:${pgPort}`,
        PATRONI_POSTGRESQL_DATA_DIR: join(dir, 'validate-data'),
      },
    });
  try {
    validate();
  } catch (err) {
    throw new Error(`patroni --validate-config refused deploy/patroni/patroni.yml:\n${(err as { stdout?: Buffer }).stdout?.toString() ?? ''}`);
  }
}

function spawnPatroni(name: string, file: string, home: string, owner: { uid: number; gid: number }): ServiceProcess {
  return ServiceProcess.spawn(name, 'patroni', [file], {
    uid: owner.uid,
    gid: owner.gid,
    cwd: home,
    env: {
      HOME: home,
      PATRONI_SUPERUSER_PASSWORD: PATRONI_PASSWORDS.superuser,
      PATRONI_REPLICATION_PASSWORD: PATRONI_PASSWORDS.replication,
      PATRONI_REWIND_PASSWORD: PATRONI_PASSWORDS.rewind,
      NMOS_DB_PASSWORD: PATRONI_PASSWORDS.app,
    },
  });
}

async function postmasterPid(node: PatroniNode): Promise<number> {
  return Number((await readFile(join(node.dir, 'data', 'postmaster.pid'), 'utf8')).split('\n')[0]);
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
