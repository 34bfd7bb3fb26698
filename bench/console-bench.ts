/**
 * `npm run bench:console`: the operator console in Debian's chromium against the controller (embedded
 * defaults) watching a simulated plant of 2,000 senders × 2,000 receivers (`--nodes 100 --senders 20
 * --receivers 20`; flags change it): bytes shipped, first load to an interactive login, login to a
 * drawn matrix, scrolling the matrix, and click → verified tally p50/p99. Prints figures; asserts nothing.
 */
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { authHeaders, jsonApi, percentile, startEmbeddedController, startProcess } from './bench-kit.js';

const PORT = 22_080 + Math.floor(Math.random() * 500);
const ADMIN = { username: 'admin', password: 'bench-password-1' };
const flag = (name: string, fallback: number) => {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
};
const [NODES, SENDERS, RECEIVERS] = [flag('nodes', 100), flag('senders', 20), flag('receivers', 20)];
const figures = (values: number[]) => `p50 ${percentile(values, 50).toFixed(0)} ms   p99 ${percentile(values, 99).toFixed(0)} ms`;

async function main(): Promise<void> {
  const assets = join('dist/console/assets');
  const files = readdirSync(assets).map((f) => join(assets, f));
  const raw = files.reduce((n, f) => n + statSync(f).size, 0);
  const gzipped = files.reduce((n, f) => n + gzipSync(readFileSync(f)).length, 0);
  console.log(`console bundle: ${(raw / 1024).toFixed(1)} KB, ${(gzipped / 1024).toFixed(1)} KB gzipped (${files.length} files)`);

  const work = mkdtempSync(join(tmpdir(), 'nmc-consolebench-'));
  chmodSync(work, 0o755);
  const manifestFile = join(work, 'manifest.json');
  const simulator = await startProcess(
    'dist/apps/simulator/src/main.js',
    [
      '--registries',
      '1',
      '--nodes',
      String(NODES),
      '--senders',
      String(SENDERS),
      '--receivers',
      String(RECEIVERS),
      '--redundant-share',
      '0',
      '--manifest',
      manifestFile,
    ],
    {},
    'admin API',
  );
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
  const controller = await startEmbeddedController(join(work, 'data'), PORT, ADMIN);
  const url = `http://127.0.0.1:${PORT}`;
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
  try {
    const api = jsonApi(url, await authHeaders(url, ADMIN));
    await api('PUT', '/api/registry/config', [{ name: 'R0', query_url: manifest.registries[0].query_url, enabled: true }]);
    const total = async (type: string) =>
      Number((await fetch(`${url}/api/nmos/${type}?limit=1`, { headers: await authHeaders(url, ADMIN) })).headers.get('x-total-count'));
    while ((await total('receivers')) < NODES * RECEIVERS || (await total('senders')) < NODES * SENDERS) await new Promise((r) => setTimeout(r, 500));
    console.log(`plant: ${NODES * SENDERS} senders × ${NODES * RECEIVERS} receivers in the merged view`);

    const page = await (await browser.newContext({ viewport: { width: 1600, height: 1000 } })).newPage();
    let started = performance.now();
    await page.goto(url);
    await page.waitForSelector('button[type=submit]');
    console.log(`first load to an interactive login page: ${(performance.now() - started).toFixed(0)} ms`);
    await page.fill('input[name=username]', ADMIN.username);
    await page.fill('input[name=password]', ADMIN.password);
    started = performance.now();
    await page.click('button[type=submit]');
    await page.waitForSelector(`[data-testid=counts]:has-text("${NODES * SENDERS} senders × ${NODES * RECEIVERS} receivers")`, { timeout: 120_000 });
    await page.waitForSelector('button.cell');
    console.log(
      `login to a drawn ${NODES * SENDERS} × ${NODES * RECEIVERS} matrix (lists loaded, tally, first cells): ${(performance.now() - started).toFixed(0)} ms`,
    );
    console.log(`cells in the page while showing the matrix: ${await page.locator('button.cell').count()} (of ${NODES * SENDERS * NODES * RECEIVERS})`);

    // Scrolling: jump to 40 places and wait for the cells there to be drawn.
    const scrolls: number[] = [];
    for (let i = 0; i < 40; i++) {
      const t = performance.now();
      // Browser-side code as text: this file is type-checked for Node, without the DOM's types.
      await page.evaluate(`(() => {
        const matrix = document.querySelector('[data-testid=matrix]');
        matrix.scrollTo({ top: (${i} * 997 * 28) % matrix.scrollHeight, left: (${i} * 613 * 28) % matrix.scrollWidth });
        return new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
      })()`);
      scrolls.push(performance.now() - t);
    }
    console.log(`scroll to anywhere and draw: ${figures(scrolls)}`);

    // Click → verified tally, on the first rows (alternating two senders, so each click changes the crosspoint).
    await page.evaluate(`document.querySelector('[data-testid=matrix]').scrollTo({ top: 0, left: 0 })`);
    // The cells of the top-left corner, once drawn (not those of the last scroll, still in the page).
    await page.waitForFunction(`[...document.querySelectorAll('.row-head')].some((row) => row.style.top === '160px')`);
    const cells = await page.$$eval('button.cell:not([disabled])', (buttons) => buttons.slice(0, 400).map((b) => b.getAttribute('data-cell')!));
    const byReceiver = new Map<string, string[]>();
    for (const cell of cells) {
      const [receiver, sender] = cell.split(':');
      byReceiver.set(receiver, [...(byReceiver.get(receiver) ?? []), sender]);
    }
    const pairs = [...byReceiver].filter(([, senders]) => senders.length >= 2);
    const clicks: number[] = [];
    for (let i = 0; i < 60 && pairs.length > 0; i++) {
      const [receiver, senders] = pairs[i % pairs.length];
      const cell = `[data-cell="${receiver}:${senders[Math.floor(i / pairs.length) % 2]}"]`;
      if ((await page.getAttribute(cell, 'data-on')) === 'true') continue;
      const t = performance.now();
      await page.click(cell);
      await page.waitForSelector(`${cell}[data-on=true]`, { timeout: 15_000 });
      clicks.push(performance.now() - t);
    }
    console.log(`click → tally verified by the device (${clicks.length} takes): ${figures(clicks)}`);
  } finally {
    await browser.close();
    controller.kill('SIGTERM');
    simulator.kill('SIGTERM');
    await new Promise((r) => controller.once('exit', r));
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
