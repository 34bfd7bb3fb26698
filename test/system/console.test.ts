import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync } from 'node:fs';
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
    facility = await Facility.start({ registries: 1, nodes: 3, senders: 3, receivers: 3, redundantShare: 0 });
    endpoints = new FacilityEndpoints(facility);
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
    const receiver = endpoints.receiver('video', 1, new Set());
    const cell = `[data-cell="${receiver.id}:${sender.id}"]`;
    expect(await page.getAttribute(cell, 'data-on')).toBe('false');
    await page.click(cell);
    await page.waitForSelector(`${cell}[data-on=true]`, { timeout: 15_000 });
    // What the device really does.
    expect(receiver.node.connection.active('receivers', receiver.id)?.sender_id).toBe(sender.id);
    expect(await page.textContent('[data-testid=message]')).toContain('activated');
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

  it('keeps working when the replica it was loaded from dies: the stream and the takes carry on through another', async () => {
    second = await (await ControllerProcess.spawn(env(pg.port))).ready();
    // One address in front of both replicas, as a load balancer is: it sends everything to the first.
    proxy = await TcpProxy.start(controller.port);
    const page = await logIn(TEST_ADMIN.username, TEST_ADMIN.password, `http://127.0.0.1:${proxy.port}`);
    await page.waitForSelector('[data-testid=live]:has-text("live")');
    const sender = endpoints.sender('video', 1);
    const receiver = endpoints.receiver('video', 1, new Set());
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
