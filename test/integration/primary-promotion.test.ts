import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { PostgresServer } from '#database';
import { startController, TEST_ADMIN, type RunningController } from '../support/controller.js';
import { eventually } from '../support/eventually.js';
import { metricValue } from '../support/metrics.js';
import { createDatabase, removeDir, scratchDir, startPrimary, startReplica, urlOf } from '../support/pg-cluster.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { WriteLoop } from '../support/write-loop.js';

/**
 * A standby takes over from a dead primary. Replication is synchronous here (set on the primary only,
 * so the promoted node does not wait for a standby it no longer has): an acknowledged write is then on
 * both nodes, and every 2xx the API gave must be in the promoted database.
 */
describe('a standby is promoted while the API takes writes', () => {
  let dir: string;
  let primary: PostgresServer;
  let standby: PostgresServer;
  let controller: RunningController | undefined;
  let proxy: TcpProxy | undefined;

  beforeEach(async () => {
    dir = await scratchDir('promotion');
    primary = await startPrimary(dir);
    await createDatabase(primary, 'app');
    standby = await startReplica(primary, dir);
    await primary.query("ALTER SYSTEM SET synchronous_standby_names = 'replica1'");
    await primary.query('SELECT pg_reload_conf()');
  });

  afterEach(async () => {
    await controller?.close();
    await proxy?.close();
    await standby?.stop();
    await primary?.stop();
    await removeDir(dir);
  });

  async function failOverDuringWrites(afterPromotion: () => void, prefix: string): Promise<void> {
    const admin = await controller!.api.loginAs(TEST_ADMIN.username, TEST_ADMIN.password);
    const loop = new WriteLoop(admin, prefix);
    loop.start();
    try {
      await eventually(() => expect(loop.succeededSince(0)).toBeGreaterThan(5));

      await primary.kill();
      await standby.query('SELECT pg_promote()');
      afterPromotion();
      const promotedAt = Date.now();
      await eventually(() => expect(loop.succeededSince(promotedAt)).toBeGreaterThan(10), 20_000);
    } finally {
      await loop.stop();
    }
    const outcomes = loop.outcomes;

    for (const outcome of outcomes.filter((o) => o.status !== 201)) expect(outcome).toMatchObject({ status: 503, retryAfter: '2' });
    const stored = new Set((await standby.query<{ username: string }>('SELECT username FROM users', [], 'app')).map((r) => r.username));
    expect(outcomes.filter((o) => o.status === 201 && !stored.has(o.username)).map((o) => o.username)).toEqual([]);
    expect((await controller!.api.get('/api/health/detail')).status).toBe(200);
  }

  it('follows a promotion behind the same address (VIP, HAProxy, Patroni endpoint) without a restart', async () => {
    proxy = await TcpProxy.start(primary.port);
    controller = await startController({ DATABASE_URL: urlOf(proxy.port, 'app', 'connect_timeout=2') });
    await failOverDuringWrites(() => {
      proxy!.retarget(standby.port);
      proxy!.dropConnections();
    }, 'vip');
  });

  it('finds the new writable host among several in a libpq multi-host DATABASE_URL', async () => {
    const url = `postgres://postgres:test-password@127.0.0.1:${primary.port},127.0.0.1:${standby.port}/app?target_session_attrs=read-write&connect_timeout=2`;
    controller = await startController({ DATABASE_URL: url });
    const detail = await controller.api.get('/api/health/detail');
    expect(detail.body.details.database.primary.name).toBe(`127.0.0.1:${primary.port}/app`);
    const before = (await controller.api.get('/metrics')).body as string;
    expect(metricValue(before, 'nmos_control_db_primary_moves_total')).toBe(0);
    expect(metricValue(before, 'nmos_control_db_primary_up')).toBe(1);
    await failOverDuringWrites(() => undefined, 'multihost');
    // An SRE sees the failover in the series: one move followed, the primary reachable again.
    await eventually(async () => {
      const after = (await controller!.api.get('/metrics')).body as string;
      expect(metricValue(after, 'nmos_control_db_primary_moves_total')).toBe(1);
      expect(metricValue(after, 'nmos_control_db_primary_up')).toBe(1);
      expect(metricValue(after, 'nmos_control_http_request_duration_seconds_count', { method: 'POST', route: '/api/users', status: '201' })).toBeGreaterThan(10);
    });
    // The readiness probe's answer is cached for a second: it names the new primary once that has passed.
    await eventually(async () => {
      const after = await controller!.api.get('/api/health/detail');
      expect(after.body.details.database.primary.name).toBe(`127.0.0.1:${standby.port}/app`);
    });
  });
});
