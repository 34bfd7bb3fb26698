import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { PostgresServer } from '#database';
import { Facility } from '../../apps/simulator/src/index.js';
import type { ApiClient } from '../support/api-client.js';
import { startController, TEST_ADMIN, type RunningController } from '../support/controller.js';
import { EventSchemas } from '../support/event-schemas.js';
import { eventually } from '../support/eventually.js';
import { createDatabase, removeDir, scratchDir, startPrimary, urlOf } from '../support/pg-cluster.js';
import { FacilityEndpoints, waitForFacility } from '../support/routing-fixtures.js';

/** The periodic /active check notices what the registry did not report. */
describe('the receiver /active check', () => {
  let dir: string;
  let pg: PostgresServer;
  let facility: Facility;
  let controller: RunningController;
  let admin: ApiClient;

  beforeAll(async () => {
    dir = await scratchDir('routing-active-check');
    pg = await startPrimary(dir);
    await createDatabase(pg, 'app');
    facility = await Facility.start({ registries: 1, nodes: 2, senders: 4, receivers: 4, redundantShare: 0 });
    controller = await startController({
      DATABASE_URL: urlOf(pg.port, 'app'),
      ACTIVE_CHECK_INTERVAL: '1',
      // The registry's silent websocket is not given up on during the test.
      REGISTRY_WATCHDOG_SECONDS: '120',
    });
    admin = await controller.api.loginAs(TEST_ADMIN.username, TEST_ADMIN.password);
    await admin.put('/api/registry/config', [{ name: 'R', query_url: facility.registries[0].url, enabled: true }]);
    await waitForFacility(admin, facility);
  });

  afterAll(async () => {
    await controller?.close();
    await facility?.stop();
    await pg?.stop();
    await removeDir(dir);
  });

  it('finds a connection made elsewhere that the registry never reported, and records it as the device shows it', async () => {
    const endpoints = new FacilityEndpoints(facility);
    const receiver = endpoints.receivers()[0];
    const sender = endpoints.senders().find((s) => s.kind === receiver.kind)!;
    // The registry's websocket goes quiet: the controller hears nothing of the change below from it.
    facility.registries[0].setWebsocketsSilent(true);
    const sdp = sender.node.connection.transportFile(sender.id)!;
    expect(receiver.node.connection.connectElsewhere(receiver.id, { id: sender.id, sdp })).toBe(true);
    await eventually(
      async () =>
        expect((await admin.get(`/api/connections/${receiver.id}`)).body).toMatchObject({ sender_id: sender.id, master_enable: true, source: 'device' }),
      10_000,
    );
    const merged = (await admin.get(`/api/nmos/receivers/${receiver.id}`)).body.resource;
    expect(merged.subscription).toEqual({ sender_id: null, active: false });

    // Unchanged receivers are only read, never rewritten: the change is one event, valid against its schema.
    await new Promise((r) => setTimeout(r, 2_500));
    const events = ((await admin.get('/api/events?after=0&limit=1000')).body as Array<Record<string, any>>).filter(
      (e) => e.type === 'receiver.state.changed' && e.source === 'device',
    );
    expect(events.map((e) => e.subject.id)).toEqual([receiver.id]);
    expect(new EventSchemas().problems(events[0])).toEqual([]);
    facility.registries[0].setWebsocketsSilent(false);
  });
});
