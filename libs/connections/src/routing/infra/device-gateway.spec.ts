import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadConfig } from '#config';
import { DeviceFailure, DeviceGateway } from './device-gateway.js';

/** Real HTTP on loopback: a multi-homed device whose first href is dead, one that hangs, one that refuses. */
describe('the device gateway', () => {
  let live: Server;
  let hanging: Server;
  let liveUrl: string;
  let hangingUrl: string;
  let deadUrl: string;
  const hits: string[] = [];
  const gateway = new DeviceGateway(loadConfig({ DEVICE_TIMEOUT_MS: '300' }));

  const listen = async (server: Server) => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}/x-nmos/connection/v1.1`;
  };

  beforeAll(async () => {
    live = createServer((request, response) => {
      hits.push(`${request.method} ${request.url}`);
      const refused = request.url!.includes('refusing');
      response.writeHead(refused ? 400 : 200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(refused ? { code: 400, error: 'Bad Request', debug: 'no' } : { master_enable: true }));
    });
    hanging = createServer(() => undefined);
    liveUrl = await listen(live);
    hangingUrl = await listen(hanging);
    const dead = createServer();
    deadUrl = await listen(dead);
    await new Promise((resolve) => dead.close(resolve));
  });

  afterAll(async () => {
    hanging.closeAllConnections();
    await Promise.all([live, hanging].map((s) => new Promise((resolve) => s.close(resolve))));
  });

  it('tries the next href when one refuses the connection, and prefers the one that worked', async () => {
    const api = { deviceId: 'multi-homed', hrefs: [deadUrl, liveUrl] };
    expect((await gateway.getActive(api, 'r1')).body).toEqual({ master_enable: true });
    expect(hits).toEqual(['GET /x-nmos/connection/v1.1/single/receivers/r1/active']);
    expect((await gateway.getActive({ deviceId: 'multi-homed', hrefs: [deadUrl, liveUrl] }, 'r2')).status).toBe(200);
    await expect(gateway.getActive({ deviceId: 'gone', hrefs: [deadUrl] }, 'r1')).rejects.toMatchObject({ kind: 'unreachable' });
  });

  it('reports a refusal with the device answer, and a device that never answers as a timeout', async () => {
    const refused = await gateway.patchStaged({ deviceId: 'd', hrefs: [liveUrl] }, 'refusing', {}).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(DeviceFailure);
    expect(refused).toMatchObject({ kind: 'refused', answer: { status: 400, body: { debug: 'no' } } });
    // A request that reached a device and got no answer is never retried elsewhere: it may have acted.
    await expect(gateway.patchStaged({ deviceId: 'slow', hrefs: [hangingUrl, liveUrl] }, 'r1', {})).rejects.toMatchObject({ kind: 'timeout' });
    expect(hits.filter((h) => h.startsWith('PATCH') && !h.includes('refusing'))).toEqual([]);
  });
});
