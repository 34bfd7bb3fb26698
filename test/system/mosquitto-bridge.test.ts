import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import mqtt, { type MqttClient } from 'mqtt';
import type { PostgresServer } from '#database';
import { startController, type RunningController } from '../support/controller.js';
import { eventually } from '../support/eventually.js';
import { freePort } from '../support/free-port.js';
import { Mosquitto } from '../support/mosquitto.js';
import { createDatabase, removeDir, scratchDir, startPrimary, urlOf } from '../support/pg-cluster.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { recordTestEvents } from '../support/test-events.js';

const PREFIX = 'go-nmos/flows/events';

/**
 * FIELD-NOTES measured it: with the bridge of a Mosquitto pair down, everything the first broker
 * acknowledged is lost when it dies. The relay's replay window must deliver it through the second.
 */
describe('a Mosquitto bridge pair whose bridge is cut before the first broker dies', () => {
  let dir: string;
  let pg: PostgresServer;
  let brokerB: Mosquitto;
  let brokerA: Mosquitto;
  let bridge: TcpProxy;
  let subscriber: MqttClient;
  let controller: RunningController;
  const received: Array<{ label: string; n: number; id: string }> = [];

  beforeAll(async () => {
    dir = await scratchDir('bridge');
    pg = await startPrimary(dir);
    await createDatabase(pg, 'app');
    brokerB = new Mosquitto(await freePort(), dir);
    await brokerB.start();
    // A bridges to B through a proxy, so the test can cut the bridge without touching either broker.
    bridge = await TcpProxy.start(brokerB.port);
    brokerA = new Mosquitto(await freePort(), dir, { port: bridge.port, topics: `${PREFIX}/#` });
    await brokerA.start();
    subscriber = await mqtt.connectAsync(brokerB.url, { protocolVersion: 4 });
    subscriber.on('message', (_topic, payload) => received.push(JSON.parse(payload.toString())));
    await subscriber.subscribeAsync(`${PREFIX}/test/#`, { qos: 1 });
    controller = await startController({ DATABASE_URL: urlOf(pg.port, 'app'), MQTT_BROKER_URL: `${brokerA.url},${brokerB.url}`, MQTT_REPLAY_WINDOW: '30s' });
  });

  afterAll(async () => {
    await controller?.close();
    await subscriber?.endAsync();
    await bridge?.close();
    await brokerA?.kill();
    await brokerB?.kill();
    await pg?.stop();
    await removeDir(dir);
  });

  it('delivers through the second broker what the first acknowledged and its bridge lost', async () => {
    const record = (label: string, count: number) => recordTestEvents(controller.app, label, count);
    const got = (label: string) => new Set(received.filter((m) => m.label === label).map((m) => m.n));

    // The bridge works: B's subscriber hears what the relay publishes to A.
    await eventually(
      async () => {
        await record('warmup', 1);
        expect(got('warmup').size).toBeGreaterThan(0);
      },
      20_000,
      500,
    );

    await bridge.close();
    await record('lost', 100);
    // A acknowledged them (the relay marked them sent), but B never heard of them.
    await eventually(
      async () =>
        expect((await pg.query<{ n: string }>("SELECT count(*) AS n FROM events WHERE topic = 'test/lost' AND sent_at IS NOT NULL", [], 'app'))[0].n).toBe(
          '100',
        ),
      10_000,
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(got('lost').size).toBe(0);

    await brokerA.kill();
    await eventually(() => expect(got('lost').size).toBe(100), 30_000);
  });
});
