import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { PostgresServer } from '#database';
import { Facility } from '../../apps/simulator/src/index.js';
import type { ApiClient } from '../support/api-client.js';
import { startController, TEST_ADMIN, TEST_JWT_SECRET, type RunningController } from '../support/controller.js';
import { ControllerProcess } from '../support/controller-process.js';
import { TestDnsServer, type ZoneRecord } from '../support/dns-server.js';
import { eventually } from '../support/eventually.js';
import { createDatabase, removeDir, scratchDir, startPrimary, urlOf } from '../support/pg-cluster.js';

const DOMAIN = 'facility.test';
const SERVICE = `_nmos-query._tcp.${DOMAIN}`;

/** The records one Query API advertises itself with (IS-04 discovery): PTR, SRV, TXT and the host's A. */
function advert(instance: string, port: number, txt: string[]): ZoneRecord[] {
  const name = `${instance}.${SERVICE}`;
  const host = `${instance}.hosts.${DOMAIN}`;
  return [
    { name: SERVICE, type: 'PTR', ttl: 60, data: name },
    { name, type: 'SRV', ttl: 60, data: { priority: 0, weight: 0, port, target: host } },
    { name, type: 'TXT', ttl: 60, data: txt },
    { name: host, type: 'A', ttl: 60, data: '127.0.0.1' },
  ];
}

describe('registry discovery by unicast DNS-SD', () => {
  let dir: string;
  let pg: PostgresServer;
  let dns: TestDnsServer;
  let facility: Facility;
  /** The first replica (it takes the leases), then a second one that takes over when the first stops. */
  let controller: RunningController;
  let second: ControllerProcess;
  let admin: ApiClient;
  const dnsSdStatus = async () => ((await admin.get('/api/registry/status')).body as any[]).find((r) => r.name === 'dns-sd');
  const senderIds = async () => ((await admin.get('/api/nmos/senders?limit=1000')).body as Array<{ id: string }>).map((s) => s.id).sort();
  const latestSeq = async () => {
    let seq = 0;
    for (;;) {
      const page = (await admin.get(`/api/events?after=${seq}&limit=1000`)).body as Array<{ seq: number }>;
      if (page.length === 0) return seq;
      seq = page[page.length - 1].seq;
    }
  };
  /** Merged-view changes (`nmos.resource.*`) published after a sequence number. */
  const nmosEventsAfter = async (seq: number) =>
    ((await admin.get(`/api/events?after=${seq}&limit=1000`)).body as Array<{ type: string; subject: { id: string } }>)
      .filter((e) => e.type.startsWith('nmos.'))
      .map((e) => `${e.type} ${e.subject.id}`);
  const queryUrl = (index: number) => `http://127.0.0.1:${facility.registries[index].port}/x-nmos/query/v1.3`;

  beforeAll(async () => {
    dir = await scratchDir('dns-sd-e2e');
    pg = await startPrimary(dir);
    await createDatabase(pg, 'app');
    // Every node registers with both registries: two instances of one logical registry, as DNS-SD advertises them.
    facility = await Facility.start({ registries: 2, nodes: 4, senders: 2, receivers: 2, multiRegistryShare: 1 });
    dns = await TestDnsServer.start();
    dns.records = [
      ...advert('main', facility.registries[0].port, ['api_ver=v1.2,v1.3', 'api_proto=http', 'pri=10', 'api_auth=false']),
      ...advert('backup', facility.registries[1].port, ['api_ver=v1.3', 'api_proto=http', 'pri=20', 'api_auth=false']),
      ...advert('lab', facility.registries[1].port, ['api_ver=v1.3', 'api_proto=http', 'pri=100', 'api_auth=false']),
      ...advert('odd', facility.registries[1].port, ['api_ver=v1.3', 'pri=5']),
      ...advert('future', facility.registries[1].port, ['api_ver=v2.0', 'api_proto=http', 'pri=1']),
    ];
    const env = {
      DATABASE_URL: urlOf(pg.port, 'app'),
      REGISTRY_DNS_SD: 'unicast',
      REGISTRY_DNS_SD_DOMAIN: DOMAIN,
      REGISTRY_DNS_SD_SERVERS: dns.address,
      REGISTRY_DNS_SD_INTERVAL_MS: '500',
      REGISTRY_STALE_GRACE: '2',
      LEASE_TTL_SECONDS: '3',
    };
    controller = await startController(env);
    second = await (
      await ControllerProcess.spawn({ ...env, JWT_SECRET: TEST_JWT_SECRET, ADMIN_USERNAME: TEST_ADMIN.username, ADMIN_PASSWORD: TEST_ADMIN.password })
    ).ready();
    // Reads go through the second replica throughout: the view is in PostgreSQL, whoever watches.
    admin = await second.api.loginAs(TEST_ADMIN.username, TEST_ADMIN.password);
  });

  afterAll(async () => {
    await controller?.close();
    await second?.stop();
    await dns?.close();
    await facility?.stop();
    await pg?.stop();
    await removeDir(dir);
  });

  it('watches the lowest pri first, keeps the next as fallback, and says why the others are not used', async () => {
    const all = [...new Set(facility.nodes.flatMap((n) => n.model.senders.map((s) => s.resource.id)))].sort();
    await eventually(async () => {
      expect(await dnsSdStatus()).toMatchObject({ source: 'dns-sd', state: 'connected', endpoint: queryUrl(0), sync: { complete: true } });
      expect(await senderIds()).toEqual(all);
    }, 20_000);
    expect(dns.asked).toContainEqual({ name: SERVICE, type: 'PTR' });
    const found = (await dnsSdStatus()).discovery.found as Array<{ instance: string; url: string | null; ignored: string | null; pri: number | null }>;
    const byInstance = Object.fromEntries(found.map((f) => [f.instance.split('.')[0], f]));
    expect(byInstance.main).toMatchObject({ url: queryUrl(0), ignored: null, pri: 10 });
    expect(byInstance.backup).toMatchObject({ url: queryUrl(1), ignored: null, pri: 20 });
    expect(byInstance.lab.ignored).toMatch(/pri 100 is reserved for development/);
    expect(byInstance.odd.ignored).toMatch(/api_proto is missing/);
    expect(byInstance.future.ignored).toMatch(/no common Query API version \(advertised: v2\.0/);
    // The configuration is untouched: discovery adds a registry beside it.
    expect((await admin.get('/api/registry/config')).body).toEqual([]);
  });

  it('keeps the view whole when another replica takes the watching over and browses afresh', async () => {
    const before = await senderIds();
    const lastSeq = await latestSeq();
    // A slow resolver: the new watcher's first browse takes seconds, longer than its first reconcile.
    dns.delayMs = 400;
    await controller.close();
    await eventually(async () => {
      const leases = (await second.api.get('/api/health/detail')).body.details.leases;
      expect(leases.holders.find((h: { name: string }) => h.name === 'registry-watchers')?.holder).toBe(leases.instance);
      expect(await dnsSdStatus()).toMatchObject({ state: 'connected', endpoint: queryUrl(0) });
    }, 30_000);
    dns.delayMs = 0;
    expect(await senderIds()).toEqual(before);
    // Until its first browse answers, the new watcher does not take "nothing found yet" for "gone".
    expect(await nmosEventsAfter(lastSeq)).toEqual([]);
  });

  it('refuses to configure a registry under the name DNS-SD uses', async () => {
    const res = await admin.put('/api/registry/config', [{ name: 'DNS-SD', query_url: queryUrl(1) }]);
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toMatch(/\[0\] \\"DNS-SD\\"\.name.*found by DNS-SD/);
  });

  it('moves to the next advertised instance when the first is no longer advertised, without churning the view', async () => {
    const before = await senderIds();
    const lastSeq = await latestSeq();
    dns.records = dns.records.filter((r) => !r.name.startsWith('main.'));
    await eventually(async () => expect(await dnsSdStatus()).toMatchObject({ state: 'connected', endpoint: queryUrl(1) }), 20_000);
    expect(await senderIds()).toEqual(before);
    // Same logical registry, same content: no resource was removed and added again.
    expect(await nmosEventsAfter(lastSeq)).toEqual([]);
  });

  it('keeps the registry it found while the resolver does not answer, and says so', async () => {
    const before = await senderIds();
    const lastSeq = await latestSeq();
    // Answers later than the resolver waits (2 s, twice): every browse fails.
    dns.delayMs = 10_000;
    try {
      await eventually(async () => expect((await dnsSdStatus()).discovery.last_error).toMatch(/unicast DNS: .*(ETIMEOUT|timeout)/i), 30_000);
      // More browses than it takes to drop an advert that is gone (three) have failed by now.
      await new Promise((r) => setTimeout(r, 4 * 4_500));
      expect(await dnsSdStatus()).toMatchObject({ state: 'connected', endpoint: queryUrl(1) });
      expect(await senderIds()).toEqual(before);
      expect(await nmosEventsAfter(lastSeq)).toEqual([]);
    } finally {
      dns.delayMs = 0;
    }
  }, 120_000);

  it('says plainly when nothing usable is advertised, and drops the registry it had found', async () => {
    dns.records = dns.records.filter((r) => r.name.startsWith('lab.') || r.name === SERVICE);
    await eventually(async () => {
      const status = await dnsSdStatus();
      expect(status.state).toBe('down');
      expect(status.last_error).toMatch(/no usable Query API advertised by DNS-SD \(_nmos-query\._tcp\.facility\.test\)/);
      expect(await senderIds()).toEqual([]);
    }, 20_000);
  });
});
