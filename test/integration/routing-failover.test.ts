import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { PostgresServer } from '#database';
import { Facility } from '../../apps/simulator/src/index.js';
import type { ApiClient } from '../support/api-client.js';
import { startController, TEST_ADMIN, type RunningController } from '../support/controller.js';
import { eventually } from '../support/eventually.js';
import { createDatabase, removeDir, scratchDir, startPrimary, startReplica, urlOf } from '../support/pg-cluster.js';
import { FacilityEndpoints, waitForFacility, type PickedReceiver } from '../support/routing-fixtures.js';
import { TcpProxy } from '../support/tcp-proxy.js';

interface TakeRecord {
  key: string;
  receiver: string;
  sender: string;
  attempts: number[];
  startedAt: number;
  endedAt?: number;
}

/**
 * Takes with Idempotency-Keys while the primary dies and a synchronous standby is promoted behind the
 * same address. A client that was not told the outcome retries with the same key until it is: every key
 * must end in exactly one PATCH on the device and a 200 that matches what the device does.
 */
describe('idempotent takes through a database failover', () => {
  let dir: string;
  let primary: PostgresServer;
  let standby: PostgresServer;
  let proxy: TcpProxy;
  let facility: Facility;
  let controller: RunningController;
  let admin: ApiClient;

  beforeAll(async () => {
    dir = await scratchDir('routing-failover');
    primary = await startPrimary(dir);
    await createDatabase(primary, 'app');
    standby = await startReplica(primary, dir);
    await primary.query("ALTER SYSTEM SET synchronous_standby_names = 'replica1'");
    await primary.query('SELECT pg_reload_conf()');
    proxy = await TcpProxy.start(primary.port);
    facility = await Facility.start({ registries: 1, nodes: 1, senders: 8, receivers: 10, redundantShare: 0 });
    controller = await startController({ DATABASE_URL: urlOf(proxy.port, 'app', 'connect_timeout=2'), DEVICE_TIMEOUT_MS: '1000', ACTIVE_CHECK_INTERVAL: '0' });
    admin = await controller.api.loginAs(TEST_ADMIN.username, TEST_ADMIN.password);
    await admin.put('/api/registry/config', [{ name: 'R', query_url: facility.registries[0].url, enabled: true }]);
    await waitForFacility(admin, facility);
  });

  afterAll(async () => {
    await controller?.close();
    await proxy?.close();
    await facility?.stop();
    await standby?.stop();
    await primary?.stop().catch(() => undefined);
    await removeDir(dir);
  });

  it('acts exactly once per key, and every key ends in the answer the device confirms', async () => {
    const endpoints = new FacilityEndpoints(facility);
    const video = endpoints.senders().filter((s) => s.kind === 'video');
    const audio = endpoints.senders().filter((s) => s.kind === 'audio');
    const workers = endpoints
      .receivers()
      .filter((r) => (r.kind === 'video' && video.length >= 2) || (r.kind === 'audio' && audio.length >= 2))
      .slice(0, 3);
    expect(workers.length).toBe(3);
    for (const node of facility.nodes) node.requests.length = 0;
    const records: TakeRecord[] = [];
    let running = true;
    let completedAfterPromotion = 0;
    let promoted = false;

    const worker = async (receiver: PickedReceiver, index: number) => {
      const senders = receiver.kind === 'video' ? video : audio;
      for (let n = 0; running; n++) {
        const record: TakeRecord = { key: `w${index}-${n}`, receiver: receiver.id, sender: senders[n % 2].id, attempts: [], startedAt: Date.now() };
        records.push(record);
        // Until the outcome is known: a 503, a 409 "still running" or a broken connection tell nothing.
        for (;;) {
          const answer = await admin
            .post('/api/connections', { receiver_id: receiver.id, sender_id: record.sender }, { 'idempotency-key': record.key })
            .catch(() => ({ status: 0, body: undefined }));
          record.attempts.push(answer.status);
          if (answer.status === 200) {
            record.endedAt = Date.now();
            expect(answer.body.active.sender_id).toBe(record.sender);
            if (promoted) completedAfterPromotion++;
            break;
          }
          expect([0, 409, 503]).toContain(answer.status);
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    };
    const loops = workers.map(worker);
    await eventually(() => expect(records.length).toBeGreaterThan(15), 10_000);
    const killedAt = Date.now();
    await primary.kill();
    // Promotion takes a while (longer than connect_timeout here): takes meanwhile are told 503, never a false 200.
    await new Promise((r) => setTimeout(r, 3_000));
    await standby.query('SELECT pg_promote()');
    proxy.retarget(standby.port);
    proxy.dropConnections();
    promoted = true;
    const promotedAt = Date.now();
    await eventually(() => expect(completedAfterPromotion).toBeGreaterThan(15), 40_000);
    running = false;
    await Promise.all(loops);

    const node = facility.nodes[0];
    for (const receiver of workers) {
      const keys = records.filter((r) => r.receiver === receiver.id);
      expect(FacilityEndpoints.requestsFor(node, receiver.id, 'PATCH')).toHaveLength(keys.length);
      expect(node.connection.active('receivers', receiver.id)).toMatchObject({ sender_id: keys.at(-1)!.sender });
    }
    // The failover was felt: some takes were retried, or waited through it (their record is written after the outage).
    expect(records.some((r) => r.attempts.length > 1 || (r.startedAt < killedAt && r.endedAt! > promotedAt))).toBe(true);
    const stored = await standby.query<{ n: string }>(`SELECT count(*) AS n FROM idempotency_keys WHERE state = 'done'`, [], 'app');
    expect(Number(stored[0].n)).toBe(records.length);
  });
});
