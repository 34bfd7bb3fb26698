import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { sleep } from '#common';
import { Facility } from '../../apps/simulator/src/index.js';
import { TEST_ADMIN, TEST_JWT_SECRET } from '../support/controller.js';
import { ControllerProcess } from '../support/controller-process.js';
import { eventually } from '../support/eventually.js';
import { freePort } from '../support/free-port.js';
import { removeDir, scratchDir } from '../support/pg-cluster.js';
import { FacilityEndpoints } from '../support/routing-fixtures.js';
import { BrokerPair, type Broker } from './support/broker-pair.js';
import { Etcd } from './support/etcd.js';
import { EventSubscriber } from './support/event-subscriber.js';
import { FacilityDatabase } from './support/facility-database.js';
import { HaLoad, type TakeLane } from './support/ha-load.js';
import { writeHaReport, type FaultFigures } from './support/ha-report.js';
import { HaProxy } from './support/haproxy.js';
import { HttpsClient } from './support/https-client.js';
import { Nginx } from './support/nginx.js';
import { PATRONI_PASSWORDS, PatroniCluster } from './support/patroni-cluster.js';

const PREFIX = 'go-nmos/flows/events';
const REPORT = resolve('ha-report.md');
const WARM_UP_MS = 3_000;
const AFTER_RECOVERY_MS = 5_000;

/**
 * HA guide "Recommended HA Setup" and §11 "Testing HA Setup", on one machine from real parts: etcd and
 * three PostgreSQL 15 nodes under Patroni (synchronous, strict) behind HAProxy, a bridged Mosquitto
 * pair, three controller replicas behind nginx (TLS), and the simulator as a facility in two
 * registries. Each fault is injected while a bounded load runs through nginx; nothing acknowledged may
 * be lost, no Idempotency-Key may act twice on a device, no committed event may go missing.
 */
describe('the HA deployment, run whole and killed piece by piece', () => {
  let dir: string;
  let etcd: Etcd;
  let cluster: PatroniCluster;
  let haproxy: HaProxy;
  let brokers: BrokerPair;
  let facility: Facility;
  let nginx: Nginx;
  let admin: HttpsClient;
  let db: FacilityDatabase;
  let subscriber: EventSubscriber;
  let controllerEnv: Record<string, string>;
  const replicas: ControllerProcess[] = [];
  const lanes: Array<TakeLane & { node: Facility['nodes'][number] }> = [];
  const figures: FaultFigures[] = [];

  beforeAll(async () => {
    dir = await scratchDir('ha');
    etcd = await Etcd.start(dir);
    cluster = await PatroniCluster.start(dir, etcd.hosts);
    haproxy = await HaProxy.start(dir, cluster.nodes);
    brokers = await BrokerPair.start(dir);
    facility = await Facility.start({ registries: 2, nodes: 4, senders: 4, receivers: 6, redundantShare: 0, multiRegistryShare: 1 });
    const databaseUrl = (port: number) => `postgres://nmos_user:${PATRONI_PASSWORDS.app}@127.0.0.1:${port}/go_nmos`;
    controllerEnv = {
      DATABASE_URL: databaseUrl(haproxy.primaryPort),
      DATABASE_READ_REPLICA_URL: databaseUrl(haproxy.replicasPort),
      MQTT_BROKER_URL: `${brokers.primary.url},${brokers.secondary.url}`,
      MQTT_TOPIC_PREFIX: PREFIX,
      JWT_SECRET: TEST_JWT_SECRET,
      ADMIN_USERNAME: TEST_ADMIN.username,
      ADMIN_PASSWORD: TEST_ADMIN.password,
      TRUST_PROXY: 'true',
      SHUTDOWN_DRAIN_SECONDS: '2',
      LEASE_TTL_SECONDS: '4',
    };
    // The first replica runs the migrations; the others start beside it.
    replicas.push(await (await ControllerProcess.spawn(controllerEnv, await freePort())).ready(120_000));
    for (const started of await Promise.all([1, 2].map(async () => (await ControllerProcess.spawn(controllerEnv, await freePort())).ready(120_000))))
      replicas.push(started);
    nginx = await Nginx.start(
      dir,
      replicas.map((r) => r.port),
      [brokers.primary.websocketPort, brokers.secondary.websocketPort],
    );
    admin = await new HttpsClient(nginx.url, nginx.ca).loginAs(TEST_ADMIN.username, TEST_ADMIN.password);
    const saved = await admin.send('PUT', '/api/registry/config', [
      { name: 'R0', query_url: facility.registries[0].url, enabled: true },
      { name: 'R1', query_url: facility.registries[1].url, enabled: true },
    ]);
    expect(saved.status).toBe(200);
    const endpoints = new FacilityEndpoints(facility);
    await eventually(async () => {
      expect((await admin.send('GET', '/api/nmos/senders?limit=1000')).body).toHaveLength(endpoints.senders().length);
      expect((await admin.send('GET', '/api/nmos/receivers?limit=1000')).body).toHaveLength(endpoints.receivers().length);
    }, 60_000);
    for (const receiver of endpoints.receivers().filter((r) => r.legs === 1)) {
      const senders = endpoints.senders().filter((s) => s.kind === receiver.kind && s.legs === 1);
      if (senders.length >= 2 && lanes.length < 4) lanes.push({ receiverId: receiver.id, senders: [senders[0].id, senders[1].id], node: receiver.node });
    }
    expect(lanes).toHaveLength(4);
    db = new FacilityDatabase(controllerEnv.DATABASE_URL);
    db.watchLeases();
    subscriber = await EventSubscriber.connect([brokers.secondary.port, brokers.primary.port], `${PREFIX}/#`);
  }, 600_000);

  afterAll(async () => {
    if (figures.length > 0)
      writeHaReport(
        REPORT,
        figures,
        'Three PostgreSQL 15 nodes under Patroni (synchronous_mode_strict) behind HAProxy, a bridged Mosquitto pair, three controller replicas behind nginx (TLS), the simulator as two registries; load through nginx: 2 readers, 2 user writers, 4 take lanes with Idempotency-Key; a subscriber on the second broker.',
      );
    await subscriber?.close();
    await db?.close();
    await Promise.all(replicas.map((r) => r.stop()));
    await nginx?.stop();
    await facility?.stop();
    await brokers?.stop();
    await haproxy?.stop();
    await cluster?.stop();
    await etcd?.stop();
    await removeDir(dir);
  }, 120_000);

  interface FaultContext {
    faultAt: number;
    notes: string[];
    /** Time since the fault, as the report's notes say it ("2.3 s"). */
    elapsed(): string;
  }

  interface FaultOptions {
    /** Liveness of every replica polled directly during the fault: none may fail (a database failover must not restart pods). */
    livenessHolds?: boolean;
    /** The subscriber's own broker dies: what it missed meanwhile comes from the REST catch-up. */
    subscriberMayMiss?: () => boolean;
  }

  async function runFault(fault: string, inject: (context: FaultContext) => Promise<void>, options: FaultOptions = {}): Promise<FaultFigures> {
    const [{ position }] = await db.query<{ position: string }>('SELECT coalesce(max(position), 0)::text AS position FROM events');
    for (const node of facility.nodes) node.requests.length = 0;
    const load = new HaLoad(admin, `ha-${figures.length}`, lanes);
    const liveness = options.livenessHolds ? pollLiveness() : undefined;
    load.start();
    await sleep(WARM_UP_MS);
    const faultAt = Date.now();
    const context: FaultContext = { faultAt, notes: [], elapsed: () => `${((Date.now() - faultAt) / 1000).toFixed(1)} s` };
    try {
      await inject(context);
      await sleep(AFTER_RECOVERY_MS);
    } finally {
      await load.stop();
    }
    const livenessFailures = (await liveness?.stop()) ?? 0;
    // Every replica is ready again once the fault is over (readiness answers 503 only while it cannot serve).
    await eventually(
      async () => {
        for (const replica of replicas) expect((await fetch(`${replica.url}/api/health/detail`, { signal: AbortSignal.timeout(5_000) })).status).toBe(200);
      },
      60_000,
      250,
    );

    // Every 201 is in the database.
    const acknowledged = load.writes.filter((w) => w.status === 201).map((w) => w.username);
    const stored = await db.query<{ username: string }>('SELECT username FROM users WHERE username = ANY($1)', [acknowledged]);
    const acknowledgedWritesLost = acknowledged.length - stored.length;

    // Each key ended in a 200, and each receiver's device saw exactly one PATCH per key, in order.
    let keysActedOtherThanOnce = 0;
    for (const lane of lanes) {
      const expected = load.takes.filter((t) => t.receiverId === lane.receiverId && t.status === 200).map((t) => t.senderId);
      const patched = FacilityEndpoints.requestsFor(lane.node, lane.receiverId, 'PATCH').map((r) => (r.body as { sender_id: string }).sender_id);
      if (JSON.stringify(patched) !== JSON.stringify(expected)) keysActedOtherThanOnce += Math.max(1, Math.abs(patched.length - expected.length));
    }
    const unfinishedKeys = load.takes.filter((t) => t.status !== 200);

    // Every committed event reached the subscriber, or is served by the REST catch-up.
    await eventually(
      async () =>
        expect((await db.query<{ n: string }>('SELECT count(*)::text AS n FROM events WHERE position > $1 AND sent_at IS NULL', [position]))[0].n).toBe('0'),
      90_000,
      250,
    );
    const committed = await db.query<{ id: string; seq: string; committed_at: Date }>(
      'SELECT id, seq::text, committed_at FROM events WHERE position > $1 ORDER BY seq',
      [position],
    );
    const mayMiss = options.subscriberMayMiss?.() ?? false;
    await eventually(() => expect(committed.filter((e) => !subscriber.received.has(e.id))).toHaveLength(0), mayMiss ? 3_000 : 20_000).catch(() => undefined);
    const missed = committed.filter((e) => !subscriber.received.has(e.id));
    const caughtUp = new Set<string>();
    if (missed.length > 0) {
      for (let after = Number(missed[0].seq) - 1; after < Number(missed.at(-1)!.seq);) {
        const page = (await admin.send('GET', `/api/events?after=${after}&limit=1000`)).body as Array<{ id: string; seq: number }>;
        if (page.length === 0) break;
        for (const event of page) caughtUp.add(event.id);
        after = page.at(-1)!.seq;
      }
    }
    const eventsLost = missed.filter((e) => !caughtUp.has(e.id)).length;
    const delays = committed
      .filter((e) => subscriber.received.has(e.id))
      .map((e) => subscriber.received.get(e.id)!.at - e.committed_at.getTime())
      .sort((a, b) => a - b);

    const result: FaultFigures = {
      fault,
      writeUnavailableMs: unavailability(load.requests.filter((r) => r.kind !== 'read' && r.at >= context.faultAt - 1_000)),
      leaseTakeoverMs: takeovers(context.faultAt),
      eventDelayP50Ms: delays[Math.floor(delays.length / 2)] ?? 0,
      eventDelayMaxMs: delays.at(-1) ?? 0,
      events: committed.length,
      eventsFromCatchUp: missed.length,
      reads: { total: load.requests.filter((r) => r.kind === 'read').length, failed: load.requests.filter((r) => r.kind === 'read' && !ok(r.status)).length },
      writes: {
        total: load.writes.length,
        failed: load.writes.filter((w) => w.status !== 201).length,
        statuses: count(load.writes.filter((w) => w.status !== 201).map((w) => String(w.status))),
      },
      takes: {
        keys: load.takes.length,
        attempts: load.takes.reduce((n, t) => n + t.attempts, 0),
        retried: load.takes.filter((t) => t.attempts > 1).length,
        longestMs: Math.max(0, ...load.takes.map((t) => t.doneAt - t.startedAt)),
      },
      acknowledgedWritesLost,
      keysActedOtherThanOnce,
      eventsLost,
      notes: [...context.notes, ...(options.livenessHolds ? [`liveness failures on the replicas: ${livenessFailures}`] : [])],
    };
    figures.push(result);
    expect({
      fault,
      acknowledgedWritesLost,
      keysActedOtherThanOnce,
      eventsLost,
      unfinishedKeys: unfinishedKeys.map((t) => t.status),
      livenessFailures,
    }).toEqual({
      fault,
      acknowledgedWritesLost: 0,
      keysActedOtherThanOnce: 0,
      eventsLost: 0,
      unfinishedKeys: [],
      livenessFailures: 0,
    });
    if (!mayMiss) expect(missed.map((e) => e.seq)).toEqual([]);
    expect(acknowledged.length).toBeGreaterThan(0);
    expect(load.takes.filter((t) => t.status === 200).length).toBeGreaterThan(0);
    return result;
  }

  function pollLiveness(): { stop(): Promise<number> } {
    let failures = 0;
    let running = true;
    const loop = (async () => {
      while (running) {
        await Promise.all(
          replicas.map(async (replica) => {
            const res = await fetch(`${replica.url}/api/health`, { signal: AbortSignal.timeout(5_000) }).catch(() => undefined);
            if (res?.status !== 200) failures++;
          }),
        );
        await sleep(250);
      }
    })();
    return {
      stop: async () => {
        running = false;
        await loop;
        return failures;
      },
    };
  }

  function takeovers(faultAt: number): Record<string, number> {
    const first: Record<string, number> = {};
    for (const change of db.leaseChanges) if (change.at >= faultAt && first[change.name] === undefined) first[change.name] = change.at - faultAt;
    return first;
  }

  /** The replica process holding a lease, from the holder id (`host-pid-random`). */
  function holderProcess(lease: string): ControllerProcess {
    const holder = db.holderOf(lease);
    const found = replicas.find((r) => holder?.includes(`-${r.pid}-`));
    if (!found) throw new Error(`no replica holds ${lease} (holder ${holder})`);
    return found;
  }

  async function respawn(index: number): Promise<ControllerProcess> {
    replicas[index] = await (await ControllerProcess.spawn(controllerEnv, replicas[index].port)).ready(120_000);
    return replicas[index];
  }

  async function newLeaderAfter(old: string, context: FaultContext): Promise<void> {
    await eventually(
      async () => {
        const leader = await cluster.leader();
        expect(leader?.name ?? old).not.toBe(old);
        context.notes.push(`Patroni promoted ${leader!.name} ${context.elapsed()} after the kill`);
      },
      60_000,
      100,
    );
  }

  it('a. kill -9 of the Patroni leader’s PostgreSQL: Patroni promotes the synchronous standby by itself', async () => {
    await runFault(
      'a. leader PostgreSQL killed (kill -9 postmaster)',
      async (context) => {
        const leader = (await cluster.leader())!;
        await cluster.killPostmaster(leader);
        await newLeaderAfter(leader.name, context);
        await cluster.waitUntilHealthy(120_000);
        context.notes.push(`${leader.name} rejoined as a replica ${context.elapsed()} after the kill`);
      },
      { livenessHolds: true },
    );
  });

  it('a. the whole Patroni leader node crashes (Patroni and PostgreSQL): a new leader after the ttl', async () => {
    await runFault(
      'a. leader node killed (Patroni + PostgreSQL, kill -9)',
      async (context) => {
        const leader = (await cluster.leader())!;
        await cluster.killNode(leader);
        await newLeaderAfter(leader.name, context);
        await cluster.restartNode(leader);
        await cluster.waitUntilHealthy(120_000);
        context.notes.push(`${leader.name} restarted and rejoined ${context.elapsed()} after the kill`);
      },
      { livenessHolds: true },
    );
  });

  it('b. SIGKILL of the replica holding the leases: another takes them over', async () => {
    await runFault('b. lease-holding replica killed (SIGKILL)', async (context) => {
      const victim = holderProcess('event-relay');
      const index = replicas.indexOf(victim);
      await victim.stop();
      await eventually(() => expect(db.holderOf('event-relay')).not.toContain(`-${victim.pid}-`), 60_000, 100);
      context.notes.push(`event-relay taken over by another replica ${context.elapsed()} after the kill`);
      await respawn(index);
    });
  });

  it('c. a rolling restart of all three replicas with SIGTERM fails no request, GET or POST', async () => {
    const result = await runFault('c. rolling restart (SIGTERM, one replica at a time)', async (context) => {
      for (let i = 0; i < replicas.length; i++) {
        const leaving = replicas[i];
        leaving.signal('SIGTERM');
        expect(await leaving.exited).toBe(0);
        const back = await respawn(i);
        // nginx takes a replica back after fail_timeout: the next one leaves only once this one serves again.
        await eventually(() => expect(back.log.split('"msg":"request"').length).toBeGreaterThan(5), 60_000, 200);
      }
      context.notes.push(`${replicas.length} replicas restarted in ${context.elapsed()}`);
    });
    expect(result.reads.failed).toBe(0);
    expect(result.writes.failed).toBe(0);
  });

  it('d. kill of the broker the relay publishes to: events go on through the other, none lost', async () => {
    let killed: Broker | undefined;
    await runFault(
      'd. broker of the relay killed (kill -9)',
      async (context) => {
        const relay = holderProcess('event-relay');
        killed = brokers.brokers.find((b) => connectedPorts(relay.pid).includes(b.port));
        if (!killed) throw new Error('the relay holder is connected to neither broker');
        await brokers.kill(killed);
        context.notes.push(
          `killed ${killed.name}${killed === brokers.secondary ? ' (the subscriber’s own broker: it moved to the other and filled the gap from /api/events)' : ''}`,
        );
        await sleep(5_000);
        await brokers.start(killed);
      },
      { subscriberMayMiss: () => killed === brokers.secondary },
    );
  });

  const registryBecomes = (name: string, state: string) =>
    eventually(
      async () => {
        const status = (await admin.send('GET', '/api/registry/status')).body as Array<{ name: string; state: string }>;
        expect(status.find((r) => r.name === name)?.state).toBe(state);
      },
      60_000,
      200,
    );

  it('e. one registry dies: the other keeps the whole facility in view and routing goes on', async () => {
    const senders = (await admin.send('GET', '/api/nmos/senders?limit=1000')).body.length;
    await runFault('e. one registry killed', async (context) => {
      await facility.registries[0].setReachability('refuse');
      await registryBecomes('R0', 'down');
      context.notes.push(`R0 seen down ${context.elapsed()} after it stopped answering`);
      await sleep(3_000);
      expect((await admin.send('GET', '/api/nmos/senders?limit=1000')).body).toHaveLength(senders);
      await facility.registries[0].setReachability('up');
      await registryBecomes('R0', 'connected');
    });
  });
});

function ok(status: number): boolean {
  return status >= 200 && status < 300;
}

function count(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}

/** First failed write to the first success after the last failure. */
function unavailability(records: Array<{ at: number; status: number }>): number {
  const sorted = [...records].sort((a, b) => a.at - b.at);
  const failures = sorted.filter((r) => !ok(r.status));
  if (failures.length === 0) return 0;
  const last = failures.at(-1)!.at;
  const recovered = sorted.find((r) => r.at > last && ok(r.status));
  return (recovered?.at ?? last) - failures[0].at;
}

/** The remote ports of a process's established TCP connections (ss, as root). */
function connectedPorts(pid: number): number[] {
  const lines = execFileSync('ss', ['-Htnp', 'state', 'established']).toString().split('\n');
  return lines.filter((l) => l.includes(`pid=${pid},`)).map((l) => Number(/\S+:(\d+)\s+\S+:(\d+)\s+users:/.exec(l)?.[2]));
}
