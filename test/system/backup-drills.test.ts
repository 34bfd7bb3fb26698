import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Facility } from '../../apps/simulator/src/index.js';
import type { ApiClient } from '../support/api-client.js';
import { ControllerProcess } from '../support/controller-process.js';
import { startController, TEST_ADMIN, TEST_JWT_SECRET, type RunningController } from '../support/controller.js';
import { eventually } from '../support/eventually.js';
import { newUser } from '../factories/user.factory.js';
import { removeDir, scratchDir } from '../support/pg-cluster.js';
import { FacilityEndpoints, waitForFacility } from '../support/routing-fixtures.js';
import { DebianPostgres, ownByPostgres, PG_BIN } from './support/debian-postgres.js';

const PASSPHRASE = 'drill passphrase 2026';
/** Every listing a restore must bring back as it was. */
const LISTINGS = ['/api/registry/config', '/api/users', '/api/tokens', '/api/routing/policies', '/api/salvos/saved', '/api/schedules', '/api/alerts/hooks'];

/**
 * The restore drills of the backup runbook (README, Backup and restore), with Debian's PostgreSQL 15:
 * a pg_dump restored into a new instance, a configuration backup restored into a fresh database, and a
 * point-in-time recovery from a base backup and archived WAL to a moment between two writes. Each
 * drill's time to a ready controller is printed (the README's RTO figures come from these runs).
 */
describe('disaster recovery drills', () => {
  let dir: string;
  let facility: Facility;
  let primary: DebianPostgres;
  let controller: RunningController;
  let admin: ApiClient;
  let archive: string;
  const started: DebianPostgres[] = [];
  const processes: ControllerProcess[] = [];
  const figures: Record<string, number> = {};

  const listings = async (api: ApiClient) => {
    const out: Record<string, unknown> = {};
    for (const path of LISTINGS) out[path] = (await api.get(path)).body;
    return out;
  };
  /** A controller process on `url`, timed from `since` until its readiness probe passes. */
  const controllerOn = async (url: string, since: number, figure: string): Promise<ApiClient> => {
    const process = await ControllerProcess.spawn({
      DATABASE_URL: url,
      JWT_SECRET: TEST_JWT_SECRET,
      ADMIN_USERNAME: 'bootstrap',
      ADMIN_PASSWORD: 'bootstrap-password-1',
    });
    processes.push(process);
    await process.ready(120_000);
    figures[figure] = Date.now() - since;
    return process.api;
  };
  const newCluster = async (name: string, settings: Record<string, string> = {}) => {
    const cluster = await DebianPostgres.create(join(dir, name), settings);
    started.push(cluster);
    await cluster.start();
    return cluster;
  };

  beforeAll(async () => {
    dir = await scratchDir('drills');
    archive = join(dir, 'wal-archive');
    await mkdir(archive);
    await ownByPostgres(archive);
    // WAL archiving as deploy/backup/postgresql-archiving.conf sets it, into the drill's folder.
    primary = await newCluster('primary', {
      wal_level: 'replica',
      archive_mode: 'on',
      archive_command: `'test ! -f ${archive}/%f && cp %p ${archive}/%f'`,
      archive_timeout: '60',
    });
    await primary.query('CREATE DATABASE go_nmos');
    facility = await Facility.start({ registries: 1, nodes: 2, senders: 2, receivers: 2 });
    controller = await startController({ DATABASE_URL: `${primary.url}/go_nmos`, LEASE_TTL_SECONDS: '3', ACTIVE_CHECK_INTERVAL: '0' });
    admin = await controller.api.loginAs(TEST_ADMIN.username, TEST_ADMIN.password);

    // A facility's configuration, through the API.
    expect(
      (
        await admin.put('/api/registry/config', [
          { name: 'R0', query_url: facility.registries[0].url, auth: { type: 'bearer', token: 'drill-registry-token' } },
        ])
      ).status,
    ).toBe(200);
    const operator = newUser('operator');
    expect((await admin.post('/api/users', operator)).status).toBe(201);
    expect((await admin.post('/api/tokens', { name: 'automation' })).status).toBe(201);
    await waitForFacility(admin, facility);
    const endpoints = new FacilityEndpoints(facility);
    const receiver = endpoints.receiver('video', 1, new Set());
    const asOperator = await controller.api.loginAs(operator.username, operator.password);
    expect((await asOperator.put(`/api/connections/${receiver.id}/lock`, { reason: 'drill' })).status).toBe(200);
    expect((await admin.post('/api/alerts/hooks', { name: 'ops', url: 'https://hooks.example.net/services/T0/B0/X', format: 'slack' })).status).toBe(201);
    expect((await admin.post('/api/routing/policies', { name: 'no-loops', effect: 'deny', sender: { label: 'loop' } })).status).toBe(201);
    const salvo = { connections: [{ receiver_id: receiver.id, sender_id: endpoints.sender('video', 1).id }], on_failure: 'rollback' };
    expect((await asOperator.put('/api/salvos/saved/drill', salvo)).status).toBe(200);
    expect((await asOperator.post('/api/schedules', { salvo: 'drill', fire_at: new Date(Date.now() + 3_600_000).toISOString() })).status).toBe(201);
  });

  afterAll(async () => {
    if (Object.keys(figures).length > 0) process.stdout.write(`restore drill figures (ms): ${JSON.stringify(figures)}\n`);
    for (const p of processes) await p.stop();
    await controller?.close();
    await facility?.stop();
    for (const cluster of started) await cluster.stop();
    await removeDir(dir);
  });

  it('restores the backup script’s pg_dump into a new instance, and its configuration document into a fresh database: every listing as it was', async () => {
    // The shipped backup script, as the compose service runs it: a pg_dump and the configuration document.
    const backupDir = join(dir, 'backups');
    const admins = newUser('admin', 'backup');
    expect((await admin.post('/api/users', admins)).status).toBe(201);
    // Asynchronously: the controller answering the script runs in this process.
    const { stdout: output } = await promisify(execFile)('sh', ['deploy/backup/nmos-backup.sh', 'all'], {
      env: {
        PATH: `${PG_BIN}:${process.env.PATH}`,
        PGHOST: '127.0.0.1',
        PGPORT: String(primary.port),
        PGUSER: 'postgres',
        PGDATABASE: 'go_nmos',
        BACKUP_DIR: backupDir,
        NMOS_CONTROL_URL: controller.url,
        BACKUP_USERNAME: admins.username,
        BACKUP_PASSWORD: admins.password,
        BACKUP_PASSPHRASE: PASSPHRASE,
      },
    });
    expect(output).toMatch(/database dump: .*\.dump\nconfiguration document: .*\.json\n/);
    const [dumpFile] = await readdir(join(backupDir, 'dumps'));
    const [configFile] = await readdir(join(backupDir, 'config'));
    const dump = join(backupDir, 'dumps', dumpFile);
    await ownByPostgres(dump);
    const config = JSON.parse(await readFile(join(backupDir, 'config', configFile), 'utf8'));
    expect(config.secrets).not.toBeNull();
    const expected = await listings(admin);

    // pg_dump → pg_restore into a new instance, then a controller on it.
    const since = Date.now();
    const restored = await newCluster('restored');
    await restored.query('CREATE DATABASE go_nmos');
    await DebianPostgres.tool('pg_restore', ['-h', '127.0.0.1', '-p', String(restored.port), '-U', 'postgres', '-d', 'go_nmos', '--exit-on-error', dump]);
    const fromDump = await (await controllerOn(`${restored.url}/go_nmos`, since, 'pg_dump restore to ready')).loginAs(TEST_ADMIN.username, TEST_ADMIN.password);
    expect(await listings(fromDump)).toEqual(expected);

    // The configuration document into an empty database: a fresh controller, then POST /api/restore.
    const configSince = Date.now();
    await restored.query('CREATE DATABASE fresh');
    const fresh = await controllerOn(`${restored.url}/fresh`, configSince, 'configuration restore to ready');
    const bootstrap = await fresh.loginAs('bootstrap', 'bootstrap-password-1');
    const answer = await bootstrap.post('/api/restore?mode=replace', config, { 'x-backup-passphrase': PASSPHRASE });
    expect(answer.status).toBe(200);
    figures['configuration restore to ready'] = Date.now() - configSince;
    const fromConfig = await fresh.loginAs(TEST_ADMIN.username, TEST_ADMIN.password);
    expect(await listings(fromConfig)).toEqual(expected);
  });

  it('recovers to a point in time between two writes from a base backup and archived WAL', async () => {
    const base = join(dir, 'base');
    await mkdir(base, { mode: 0o700 });
    await ownByPostgres(base);
    await DebianPostgres.tool('pg_basebackup', [
      '-h',
      '127.0.0.1',
      '-p',
      String(primary.port),
      '-U',
      'postgres',
      '-D',
      join(base, 'data'),
      '-X',
      'stream',
      '-c',
      'fast',
    ]);

    const before = newUser('viewer', 'before');
    expect((await admin.post('/api/users', before)).status).toBe(201);
    await new Promise((r) => setTimeout(r, 1_000));
    const [{ target }] = await primary.query<{ target: string }>(
      "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00' AS target",
    );
    await new Promise((r) => setTimeout(r, 1_000));
    const after = newUser('viewer', 'after');
    expect((await admin.post('/api/users', after)).status).toBe(201);
    // Close the segment holding both writes and wait until it is archived (archive_timeout does this within a minute).
    const [{ segment }] = await primary.query<{ segment: string }>('SELECT pg_walfile_name(pg_switch_wal()) AS segment');
    await eventually(async () => expect(await readdir(archive)).toContain(segment), 30_000);

    // The runbook: a copy of the base backup, restore_command from the archive, a target time, recovery.signal.
    const since = Date.now();
    const pitrDir = join(dir, 'pitr');
    await mkdir(pitrDir, { mode: 0o700 });
    await ownByPostgres(pitrDir);
    execFileSync('cp', ['-a', join(base, 'data'), join(pitrDir, 'data')]);
    const recovered = await DebianPostgres.adopt(pitrDir, join(pitrDir, 'data'), {
      restore_command: `'cp ${archive}/%f %p'`,
      recovery_target_time: `'${target}'`,
      recovery_target_action: "'promote'",
      archive_mode: 'off',
    });
    await writeFile(join(pitrDir, 'data', 'recovery.signal'), '');
    await ownByPostgres(join(pitrDir, 'data', 'recovery.signal'));
    started.push(recovered);
    await recovered.start();
    await eventually(async () => expect((await recovered.query<{ standby: boolean }>('SELECT pg_is_in_recovery() AS standby'))[0].standby).toBe(false), 60_000);
    const api = await (
      await controllerOn(`${recovered.url}/go_nmos`, since, 'point-in-time recovery to ready')
    ).loginAs(TEST_ADMIN.username, TEST_ADMIN.password);
    const names = ((await api.get('/api/users')).body as Array<{ username: string }>).map((u) => u.username);
    expect(names).toContain(before.username);
    expect(names).not.toContain(after.username);
  });
});
