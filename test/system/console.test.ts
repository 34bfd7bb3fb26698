import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, readFileSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { PostgresServer } from '#database';
import { Facility } from '../../apps/simulator/src/index.js';
import { TEST_ADMIN, TEST_JWT_SECRET } from '../support/controller.js';
import { ControllerProcess } from '../support/controller-process.js';
import { eventually } from '../support/eventually.js';
import { createDatabase, removeDir, scratchDir, startPrimary, urlOf } from '../support/pg-cluster.js';
import { FacilityEndpoints, type PickedReceiver } from '../support/routing-fixtures.js';
import { TcpProxy } from '../support/tcp-proxy.js';

/** Debian's chromium (`.ci/run` installs it); playwright-core drives it, downloading no browser of its own. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = 'test-artifacts/console';

/**
 * The operator console in a real browser, served by a controller process: log in, add a registry and
 * see it connect, see the simulator's senders and receivers in the matrix, take a crosspoint (the
 * tally follows the device), see a change made outside the controller without a reload, and a viewer
 * gets no take controls. Screenshots of each page are saved in test-artifacts/console.
 */
describe('operator console (chromium)', () => {
  let dir: string;
  let pg: PostgresServer;
  let facility: Facility;
  let endpoints: FacilityEndpoints;
  let controller: ControllerProcess;
  let second: ControllerProcess | undefined;
  let proxy: TcpProxy | undefined;
  let browser: Browser;
  let uhdOnly: Set<string>;
  const env = (pgPort: number) => ({
    DATABASE_URL: urlOf(pgPort, 'app'),
    JWT_SECRET: TEST_JWT_SECRET,
    ADMIN_USERNAME: TEST_ADMIN.username,
    ADMIN_PASSWORD: TEST_ADMIN.password,
    ACTIVE_CHECK_INTERVAL: '0',
  });

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    dir = await scratchDir('console');
    pg = await startPrimary(dir);
    await createDatabase(pg, 'app');
    facility = await Facility.start({ registries: 1, nodes: 3, senders: 3, receivers: 3, redundantShare: 0, uhdShare: 0.5 });
    endpoints = new FacilityEndpoints(facility);
    // Receivers whose BCP-004 constraint sets take UHD only: the simulated (HD) senders are greyed out for them.
    uhdOnly = new Set(
      facility.nodes.flatMap((n) => n.model.receivers.filter((r) => JSON.stringify(r.resource.caps).includes('3840')).map((r) => r.resource.id)),
    );
    expect(uhdOnly.size).toBeGreaterThan(0);
    controller = await (await ControllerProcess.spawn(env(pg.port))).ready();
    const admin = await controller.api.loginAs(TEST_ADMIN.username, TEST_ADMIN.password);
    expect((await admin.post('/api/users', { username: 'console-viewer', password: 'viewer-password-1', role: 'viewer' })).status).toBe(201);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  });

  afterAll(async () => {
    await browser?.close();
    await proxy?.close();
    await second?.stop();
    await controller?.stop();
    await facility?.stop();
    await pg?.stop();
    await removeDir(dir);
  });

  async function logIn(username: string, password: string, url = controller.url): Promise<Page> {
    const page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
    const problems: string[] = [];
    page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
    page.on('pageerror', (err) => problems.push(err.message));
    await page.goto(url);
    await page.fill('input[name=username]', username);
    await page.fill('input[name=password]', password);
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-testid=who]:has-text("(")');
    expect(problems).toEqual([]);
    return page;
  }

  it('refuses a wrong password with the API’s message, and logs an admin in', async () => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(controller.url);
    await page.screenshot({ path: `${ARTIFACTS}/login.png` });
    await page.fill('input[name=username]', TEST_ADMIN.username);
    await page.fill('input[name=password]', 'not-the-password');
    await page.click('button[type=submit]');
    expect(await page.textContent('[role=alert]', { timeout: 10_000 })).toContain('invalid_credentials');
    const admin = await logIn(TEST_ADMIN.username, TEST_ADMIN.password);
    expect(await admin.textContent('[data-testid=who]')).toBe('admin (admin)');
  });

  it('adds a registry from the registries page and shows it connected', async () => {
    const page = await logIn(TEST_ADMIN.username, TEST_ADMIN.password);
    await page.click('a[href="#/registries"]');
    await page.fill('input[name=name]', 'R0');
    await page.fill('input[name=query_url]', facility.registries[0].url);
    await page.click('text=Add registry');
    await page.waitForSelector('[data-registry=R0] [data-testid=registry-state]:has-text("connected")', { timeout: 30_000 });
    await page.screenshot({ path: `${ARTIFACTS}/registries.png` });
  });

  it('shows the facility in the matrix; a click takes the crosspoint and the tally follows the device', async () => {
    const page = await logIn(TEST_ADMIN.username, TEST_ADMIN.password);
    const senders = endpoints.senders();
    const receivers = endpoints.receivers();
    await page.waitForSelector(`[data-testid=counts]:has-text("${senders.length} senders × ${receivers.length} receivers")`, { timeout: 30_000 });
    await page.waitForSelector('[data-testid=live]:has-text("live")');
    const sender = endpoints.sender('video', 1);
    const receiver = endpoints.receiver('video', 1, new Set(uhdOnly));
    const cell = `[data-cell="${receiver.id}:${sender.id}"]`;
    expect(await page.getAttribute(cell, 'data-on')).toBe('false');
    await page.click(cell);
    await page.waitForSelector(`${cell}[data-on=true]`, { timeout: 15_000 });
    // What the device really does.
    expect(receiver.node.connection.active('receivers', receiver.id)?.sender_id).toBe(sender.id);
    expect(await page.textContent('[data-testid=message]')).toContain('activated');
    // The tally says who confirmed it: the controller's verified take, then the registry reporting it.
    expect(['controller', 'registry']).toContain(await page.getAttribute(cell, 'data-source'));
    expect(await page.getAttribute(cell, 'title')).toMatch(/\(on: per the (controller|registry)\)$/);
    await page.screenshot({ path: `${ARTIFACTS}/routing.png` });

    // A change made on the device itself, outside the controller, reaches the page without a reload.
    await disconnectOnDevice(receiver);
    await page.waitForSelector(`${cell}[data-on=false]`, { timeout: 15_000 });
  });

  it('gives a viewer the matrix and the tally, but no take controls', async () => {
    const page = await logIn('console-viewer', 'viewer-password-1');
    await page.waitForSelector('button.cell');
    expect(await page.locator('button.cell:not([disabled])').count()).toBe(0);
    expect(await page.locator('button.disconnect').count()).toBe(0);
    await page.click('a[href="#/health"]');
    await eventually(async () => expect(await page.textContent('[data-testid=health-status]')).toBeTruthy());
    // Every live replica, this one marked, with the singleton jobs it runs.
    await page.waitForSelector('[data-testid=replicas] tr:has-text("(this one)"):has-text("event-relay")', { timeout: 15_000 });
    await page.screenshot({ path: `${ARTIFACTS}/health.png` });
  });
  it('fires a salvo built by clicks, sets a lock, and shows both in the audit and the live events', async () => {
    const page = await logIn(TEST_ADMIN.username, TEST_ADMIN.password);
    const taken = new Set<string>();
    const audio = endpoints.sender('audio', 1);
    const [first, second] = [endpoints.receiver('audio', 1, taken), endpoints.receiver('audio', 1, taken)];
    const cell = (receiverId: string) => `[data-cell="${receiverId}:${audio.id}"]`;
    await page.waitForSelector(cell(second.id), { timeout: 30_000 });
    await page.check('[data-testid=salvo-mode]');
    await page.click(cell(first.id));
    await page.click(cell(second.id));
    expect(await page.textContent('[data-testid=salvo]')).toContain('2 crosspoint(s) selected');
    // Nothing is sent until the salvo is fired.
    expect(await page.getAttribute(cell(first.id), 'data-on')).toBe('false');
    await page.click('[data-testid=fire-salvo]');
    await page.waitForSelector(`${cell(first.id)}[data-on=true]`, { timeout: 15_000 });
    await page.waitForSelector(`${cell(second.id)}[data-on=true]`);
    expect(await page.textContent('[data-testid=message]')).toContain('Salvo succeeded');
    for (const receiver of [first, second]) expect(receiver.node.connection.active('receivers', receiver.id)?.sender_id).toBe(audio.id);
    await page.uncheck('[data-testid=salvo-mode]');

    page.once('dialog', (dialog) => void dialog.accept('rehearsal'));
    await page.click(`[data-receiver="${first.id}"] [data-testid=lock]`);
    await page.waitForSelector(`[data-receiver="${first.id}"] [data-testid=lock].locked`);
    const admin = await controller.api.loginAs(TEST_ADMIN.username, TEST_ADMIN.password);
    expect((await admin.get(`/api/connections/${first.id}`)).body.lock).toMatchObject({ reason: 'rehearsal' });

    await page.click('a[href="#/audit"]');
    await page.waitForSelector('[data-testid=audit] td:has-text("salvo")');
    await page.screenshot({ path: `${ARTIFACTS}/audit.png` });
    await page.click('a[href="#/events"]');
    await page.waitForSelector('[data-testid=live]:has-text("live")');
    await admin.post('/api/flows', { display_name: 'seen on the events page' });
    await page.waitForSelector('[data-testid=events] li:has-text("seen on the events page")', { timeout: 15_000 });
    await page.screenshot({ path: `${ARTIFACTS}/events.png` });
  });

  it('greys out the crosspoints a receiver’s BCP-004 constraint sets refuse, saying why', async () => {
    const page = await logIn(TEST_ADMIN.username, TEST_ADMIN.password);
    const sender = endpoints.sender('video', 1);
    const uhd = [...uhdOnly][0];
    const refused = `[data-cell="${uhd}:${sender.id}"]`;
    await page.waitForSelector(refused, { timeout: 30_000 });
    expect(await page.isDisabled(refused)).toBe(true);
    expect(await page.getAttribute(refused, 'title')).toContain('frame_width 1920 is not one of 3840');
    const hd = endpoints.receiver('video', 1, new Set(uhdOnly));
    expect(await page.isDisabled(`[data-cell="${hd.id}:${sender.id}"]`)).toBe(false);
  });

  it('filters the matrix by format, and asks for an override reason when a routing policy refuses a take', async () => {
    const page = await logIn(TEST_ADMIN.username, TEST_ADMIN.password);
    await page.waitForSelector('[data-testid=live]:has-text("live")');
    await page.selectOption('[data-testid=format-filter]', 'audio');
    const audioSenders = endpoints.senders().filter((s) => s.kind === 'audio').length;
    const audioReceivers = endpoints.receivers().filter((r) => r.kind === 'audio').length;
    await page.waitForSelector(`[data-testid=counts]:has-text("${audioSenders} senders × ${audioReceivers} receivers")`);
    await page.selectOption('[data-testid=format-filter]', '');

    const admin = await controller.api.loginAs(TEST_ADMIN.username, TEST_ADMIN.password);
    const sender = endpoints.sender('video', 1);
    // Not the HD receiver the other tests take, nor a UHD-only one.
    const taken = new Set(uhdOnly);
    endpoints.receiver('video', 1, taken);
    const receiver = endpoints.receiver('video', 1, taken);
    const policy = await admin.post('/api/routing/policies', { name: 'not-this-monitor', effect: 'deny', receiver: { id: receiver.id } });
    expect(policy.status).toBe(201);
    try {
      const cell = `[data-cell="${receiver.id}:${sender.id}"]`;
      const asked: string[] = [];
      page.once('dialog', (dialog) => {
        asked.push(dialog.message());
        void dialog.accept('line-up check, agreed with MCR');
      });
      await page.click(cell);
      await page.waitForSelector(`${cell}[data-on=true]`, { timeout: 15_000 });
      expect(asked[0]).toContain('policy_refused');
      expect(receiver.node.connection.active('receivers', receiver.id)?.sender_id).toBe(sender.id);
      // The override and its reason are in the take's audit row.
      expect(JSON.stringify((await admin.get(`/api/audit?receiver_id=${receiver.id}`)).body)).toContain('line-up check, agreed with MCR');
    } finally {
      await admin.delete(`/api/routing/policies/${policy.body.id}`);
    }
  });

  it('fires a salvo at a set time: shown as pending, then the tally follows the device', async () => {
    const page = await logIn(TEST_ADMIN.username, TEST_ADMIN.password);
    const audio = endpoints.sender('audio', 1);
    // One no earlier test connected (and locked).
    const connected = endpoints.receivers().filter((r) => r.node.connection.active('receivers', r.id)?.sender_id);
    const receiver = endpoints.receiver('audio', 1, new Set(connected.map((r) => r.id)));
    const cell = `[data-cell="${receiver.id}:${audio.id}"]`;
    await page.waitForSelector(cell, { timeout: 30_000 });
    await page.check('[data-testid=salvo-mode]');
    await page.click(cell);
    // Six seconds from now, as the browser's datetime-local input takes it (local time).
    const at = await page.evaluate(() => {
      const d = new Date(Date.now() + 6_000);
      const two = (n: number) => String(n).padStart(2, '0');
      return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}T${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
    });
    await page.fill('[data-testid=salvo-at]', at);
    expect(await page.textContent('[data-testid=fire-salvo]')).toBe('Schedule salvo');
    await page.click('[data-testid=fire-salvo]');
    await page.waitForSelector('[data-testid=message]:has-text("scheduled for")');
    await page.waitForSelector('[data-testid=schedules] [data-schedule]');
    expect(await page.getAttribute(cell, 'data-on')).toBe('false');
    await page.screenshot({ path: `${ARTIFACTS}/salvo-scheduled.png` });
    await page.waitForSelector(`${cell}[data-on=true]`, { timeout: 30_000 });
    expect(receiver.node.connection.active('receivers', receiver.id)?.sender_id).toBe(audio.id);
  });

  it('edits a registry, exports the configuration and imports a file back, refusing a bad one with the field named', async () => {
    const page = await logIn(TEST_ADMIN.username, TEST_ADMIN.password);
    const admin = await controller.api.loginAs(TEST_ADMIN.username, TEST_ADMIN.password);
    await page.click('a[href="#/registries"]');
    await page.click('[data-registry=R0] [data-testid=edit-registry]');
    await page.fill('[name=edit_timeout_ms]', '4000');
    await page.fill('[name=edit_endpoints]', 'http://127.0.0.1:9/x-nmos/query/v1.3');
    await page.click('[data-testid=registry-form] button[type=submit]');
    await page.waitForSelector('[data-testid=registries-notice]:has-text("Saved R0")');
    const saved = (await admin.get('/api/registry/config')).body as Array<Record<string, unknown>>;
    expect(saved[0]).toMatchObject({ name: 'R0', timeout_ms: 4000, endpoints: ['http://127.0.0.1:9/x-nmos/query/v1.3'] });

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export-registries]')]);
    const exported = JSON.parse(readFileSync((await download.path())!, 'utf8'));
    expect(exported).toEqual(saved);

    page.on('dialog', (dialog) => void dialog.accept());
    const file = (entries: unknown) => ({ name: 'registries.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(entries)) });
    await page.setInputFiles(
      '[data-testid=import-registries]',
      file([...exported, { name: 'R9', query_url: 'http://127.0.0.1:9/x-nmos/query/v1.3', enabled: false }]),
    );
    await page.waitForSelector('[data-registry=R9]');
    expect((await admin.get('/api/registry/config')).body).toHaveLength(2);
    await page.screenshot({ path: `${ARTIFACTS}/registries-edit.png` });

    await page.setInputFiles('[data-testid=import-registries]', file([{ name: 'R0', query_url: 'ftp://nowhere' }]));
    expect(await page.textContent('[role=alert]', { timeout: 10_000 })).toContain('[0] "R0".query_url');
    expect((await admin.get('/api/registry/config')).body).toHaveLength(2);
    expect((await admin.delete('/api/registry/config/R9')).status).toBe(204);
  });

  it('lists the flow inventory with its collisions and answers whether a group is free', async () => {
    const admin = await controller.api.loginAs(TEST_ADMIN.username, TEST_ADMIN.password);
    for (const name of ['CAM 7 video', 'CAM 8 video'])
      expect((await admin.post('/api/flows', { display_name: name, multicast_addr_a: '239.77.0.7', group_port_a: 5004 })).status).toBe(201);
    const page = await logIn(TEST_ADMIN.username, TEST_ADMIN.password);
    await page.click('a[href="#/flows"]');
    await page.waitForSelector('[data-testid=flows] td:has-text("CAM 8 video")');
    expect(Number(await page.textContent('[data-testid=collision-count]'))).toBeGreaterThanOrEqual(1);
    expect(await page.textContent('[data-testid=collisions]')).toContain('239.77.0.7');
    await page.fill('[data-testid=flows-search]', 'CAM 7');
    await page.click('text=Search');
    await page.waitForSelector('[data-testid=flows] td:has-text("CAM 8 video")', { state: 'detached' });
    await page.fill('[data-testid=check-addr]', '239.77.0.7');
    await page.click('text=Check');
    const answer = await page.textContent('[data-testid=check-answer]');
    expect(answer).toMatch(/^\s*Taken by .*CAM 7 video/);
    expect(answer).toContain('CAM 8 video');
    await page.screenshot({ path: `${ARTIFACTS}/flows.png` });
  });

  it('keeps working when the replica it was loaded from dies: the stream and the takes carry on through another', async () => {
    second = await (await ControllerProcess.spawn(env(pg.port))).ready();
    // One address in front of both replicas, as a load balancer is: it sends everything to the first.
    proxy = await TcpProxy.start(controller.port);
    const page = await logIn(TEST_ADMIN.username, TEST_ADMIN.password, `http://127.0.0.1:${proxy.port}`);
    await page.waitForSelector('[data-testid=live]:has-text("live")');
    const sender = endpoints.sender('video', 1);
    const receiver = endpoints.receiver('video', 1, new Set(uhdOnly));
    const cell = `[data-cell="${receiver.id}:${sender.id}"]`;
    await page.waitForSelector(cell);

    controller.signal('SIGKILL');
    await controller.exited;
    proxy.retarget(second.port);
    proxy.dropConnections();
    // No reload: the stream reconnects (with its Last-Event-ID) and the next take goes to the survivor.
    await page.click(cell);
    await page.waitForSelector(`${cell}[data-on=true]`, { timeout: 15_000 });
    expect(receiver.node.connection.active('receivers', receiver.id)?.sender_id).toBe(sender.id);
    await page.waitForSelector('[data-testid=live]:has-text("live")');
    await disconnectOnDevice(receiver);
    await page.waitForSelector(`${cell}[data-on=false]`, { timeout: 15_000 });
  });
});

/** A disconnect made on the device itself (its own Connection API), outside the controller. */
async function disconnectOnDevice(receiver: PickedReceiver): Promise<void> {
  const answer = await fetch(`${receiver.node.connectionApiUrl.replace(/\/$/, '')}/single/receivers/${receiver.id}/staged`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sender_id: null, master_enable: false, activation: { mode: 'activate_immediate' } }),
  });
  expect(answer.status).toBe(200);
}
