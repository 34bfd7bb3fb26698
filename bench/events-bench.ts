/**
 * `npm run bench:events`: the outbox relay publishing to a broker (MQTT_BROKER_URL, default the local
 * Mosquitto at mqtt://127.0.0.1:1883), measured by a subscriber: relay throughput, and commit-to-
 * subscriber latency at 200 events/s and for single events 2 s apart. The controller runs in this process on a throwaway embedded
 * database.
 */
import 'reflect-metadata';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { createRootLogger } from '#common';
import { loadConfig } from '#config';
import { DatabaseService } from '#database';
import { EventsService } from '#events';
import { createControllerApp } from '../apps/controller/src/create-app.js';
import { percentile } from './bench-kit.js';

const BROKER = process.env.MQTT_BROKER_URL ?? 'mqtt://127.0.0.1:1883';
const PREFIX = `nmos-control-bench/${process.pid}`;

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'nmc-evbench-'));
  chmodSync(work, 0o755);
  const config = loadConfig({
    DATA_DIR: join(work, 'data'),
    EMBEDDED_DATABASE_PORT: String(27_000 + (process.pid % 1000)),
    MQTT_BROKER_URL: BROKER,
    MQTT_TOPIC_PREFIX: PREFIX,
    LOG_LEVEL: 'warn',
  });
  const app = await createControllerApp(config, createRootLogger('warn'), { docsUi: false });
  await app.init();
  const db = app.get(DatabaseService);
  const events = app.get(EventsService);
  const subscriber = await mqtt.connectAsync(BROKER, { protocolVersion: 4 });
  const arrivals = new Map<string, number>();
  const latencies: number[] = [];
  subscriber.on('message', (_topic, payload) => {
    const event = JSON.parse(payload.toString());
    arrivals.set(event.id, performance.now());
    if (typeof event.sent_ms === 'number') latencies.push(performance.timeOrigin + performance.now() - event.sent_ms);
  });
  await subscriber.subscribeAsync(`${PREFIX}/bench/#`, { qos: 1 });
  const until = async (count: number) => {
    while (arrivals.size < count) await new Promise((r) => setTimeout(r, 5));
  };
  try {
    const total = 20_000;
    const started = performance.now();
    for (let i = 0; i < total; i += 100) {
      await db.write(async (sql) => {
        for (let j = i; j < i + 100; j++)
          await events.record(sql, {
            type: 'bench.event',
            subject: { kind: 'bench', id: String(j) },
            topic: 'bench/throughput',
            retained: false,
            payload: { n: j },
          });
      });
    }
    const recorded = performance.now();
    await until(total);
    const done = performance.now();
    console.log(
      `recorded ${total} events in ${Math.round(recorded - started)} ms; all received after ${Math.round(done - started)} ms: ${Math.round((total / (done - started)) * 1000)} events/s end to end`,
    );

    arrivals.clear();
    const paced = 2_000;
    const pacedStart = performance.now();
    for (let i = 0; i < paced; i++) {
      await db.write((sql) =>
        events.record(sql, {
          type: 'bench.event',
          subject: { kind: 'bench', id: `p${i}` },
          topic: 'bench/latency',
          retained: false,
          payload: { sent_ms: Date.now() },
        }),
      );
      const due = pacedStart + (i + 1) * 5;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    await until(paced);
    console.log(
      `commit to subscriber at 200 events/s (${paced} events): p50 ${percentile(latencies, 50).toFixed(1)} ms   p99 ${percentile(latencies, 99).toFixed(1)} ms`,
    );

    // Single events 2 s apart: the relay must be woken by the commit's NOTIFY, not find them at its
    // 1 s safety poll (which would put p50 near 500 ms).
    const sparse = 20;
    const sparseLatencies: number[] = [];
    for (let i = 0; i < sparse; i++) {
      const id = await db.write((sql) =>
        events.record(sql, { type: 'bench.event', subject: { kind: 'bench', id: `s${i}` }, topic: 'bench/sparse', retained: false, payload: { i } }),
      );
      const committed = performance.now();
      while (!arrivals.has(id)) await new Promise((r) => setTimeout(r, 1));
      sparseLatencies.push(arrivals.get(id)! - committed);
      await new Promise((r) => setTimeout(r, 2_000));
    }
    console.log(
      `commit to subscriber, single events 2 s apart (${sparse}): p50 ${percentile(sparseLatencies, 50).toFixed(1)} ms   p99 ${percentile(sparseLatencies, 99).toFixed(1)} ms`,
    );

    // A backlog: 100,000 events committed while the relay may not publish (another "replica" holds its
    // lease), then the time until the subscriber has them all once the lease comes back.
    arrivals.clear();
    const backlog = 100_000;
    await db.write((sql) => sql.execute("UPDATE leases SET holder = 'bench-elsewhere', expires_at = now() + interval '1 hour' WHERE name = 'event-relay'"));
    await new Promise((r) => setTimeout(r, 3_000));
    for (let i = 0; i < backlog; i += 1000) {
      await db.write(async (sql) => {
        for (let j = i; j < i + 1000; j++)
          await events.record(sql, {
            type: 'bench.event',
            subject: { kind: 'bench', id: `b${j}` },
            topic: 'bench/backlog',
            retained: false,
            payload: { n: j },
          });
      });
    }
    const drainStart = performance.now();
    await db.write((sql) => sql.execute("UPDATE leases SET expires_at = now() - interval '1 second' WHERE name = 'event-relay'"));
    await until(backlog);
    console.log(`backlog of ${backlog} events drained in ${Math.round(performance.now() - drainStart)} ms (including the lease takeover, up to 1 s)`);
  } finally {
    await subscriber.endAsync();
    await app.close();
    rmSync(work, { recursive: true, force: true });
  }
}

void main();
