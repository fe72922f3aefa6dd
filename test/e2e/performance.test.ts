// The Performance tab and the snapshot schedule in the interface, in Chromium against web mode with a
// real guest running a busy loop: the charts draw and the CPU reads well above an idle guest's (about 1%
// under TCG here; the loop gets what the other processes of a busy machine leave it), a screenshot is kept;
// the Snapshots toolbar sets a schedule that `hangar show --json` then has, refuses a bad interval in
// the dialog with nothing changed, and turns it off.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { startWebSession, type WebSession } from '../helpers/webMode.node.js';
import { cliIn, tempHome, waitUntil } from '../helpers/cli.node.js';
import { testOutputDir } from '../helpers/paths.js';
import { fixtureGuest, GUEST_PROMPT, GUEST_READY } from '../fixtures/guest.node.js';
import { MainWindow } from './pages/index.js';

const shots = join(testOutputDir, 'e2e', 'performance');

describe('performance graphs and scheduled snapshots in the interface', () => {
  const { home, cleanup } = tempHome('hangar-e2e-perf-');
  const { h, ok } = cliIn(home);
  const guest = fixtureGuest();
  let session: WebSession;
  let page: Page;
  let win: MainWindow;

  before(async () => {
    mkdirSync(shots, { recursive: true });
    await ok('create', '--name', 'busy', '--memory', '128', '--nic', 'none', '--disk', 'none', '--kernel', guest.kernel, '--initrd', guest.initrd, '--append', 'console=ttyS0 quiet');
    await ok('start', 'busy', '--wait-serial', GUEST_READY, '--timeout', '240');
    await waitUntil('the shell prompt', async () => ((await h('serial', 'busy')).stdout.includes(GUEST_PROMPT) ? true : undefined), 60_000);
    await ok('send', 'busy', 'while :; do :; done &');
    session = await startWebSession(home);
    page = session.page;
    win = await MainWindow.open(page, session.url);
  });

  after(async () => {
    await session?.stop();
    await cleanup();
  });

  test('the Performance tab charts the busy guest: its CPU, memory, disk and network', async () => {
    await win.selectVm('busy');
    await win.tab('Performance').click();
    const view = page.getByRole('region', { name: 'Performance' });
    await view.waitFor();
    const cpuNow = page.getByTestId('perf-cpu-now');
    const cpu = await waitUntil(
      'the CPU of the busy loop',
      async () => {
        const m = /([\d.]+) %/.exec(await cpuNow.innerText());
        return m && Number(m[1]) > 10 ? Number(m[1]) : undefined;
      },
      60_000,
      500,
    );
    assert.ok(cpu > 10, `CPU ${cpu} %`);
    // live: the charts move on by themselves (a newer sample arrives without a reload)
    const cpuChart = view.getByRole('region', { name: 'CPU' });
    const lineOf = () => cpuChart.locator('svg path[d]').evaluateAll((els) => els.map((e) => e.getAttribute('d') ?? '').sort((a, b) => b.length - a.length)[0] ?? '');
    // a line needs two samples: the figure above may show the first one before the chart can draw
    const first = await waitUntil('the CPU chart to draw a line', async () => {
      const d = await lineOf();
      return d.length > 20 ? d : undefined;
    }, 15_000, 250);
    await waitUntil('a new sample to move the line', async () => ((await lineOf()) !== first ? true : undefined), 15_000, 500);
    assert.match(await page.getByTestId('perf-memory-now').innerText(), /MiB resident/);
    assert.match(await page.getByTestId('perf-network-now').innerText(), /not measurable/, 'no card, nothing to count: said, not shown as 0');
    for (const name of ['CPU', 'Memory', 'Disk', 'Network']) assert.equal(await view.getByRole('region', { name }).locator('svg').count() > 0, true, `${name} has a chart`);
    await page.screenshot({ path: join(shots, 'performance.png') });
    assert.deepEqual(session.problems, []);
  });

  test('the Snapshots toolbar sets a schedule, refuses a bad interval, and turns it off', async () => {
    await win.tab('Snapshots').click();
    await page.getByRole('button', { name: 'Scheduled snapshots' }).click();
    const dialog = page.getByRole('dialog', { name: /Scheduled snapshots of/ });
    await dialog.getByRole('textbox', { name: 'Every' }).fill('soon');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.getByText(/'soon' is not a duration such as 30m, 2h or 1d/).waitFor();
    assert.equal((await ok('show', 'busy', '--json')).json.schedule, null, 'nothing was set');
    await dialog.getByRole('textbox', { name: 'Every' }).fill('2h');
    await dialog.getByRole('textbox', { name: 'Keep the last' }).fill('3');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    const s = (await ok('show', 'busy', '--json')).json.schedule;
    assert.equal(s.every, '2h');
    assert.equal(s.keep, 3);
    await page.getByRole('button', { name: 'Scheduled snapshots' }).filter({ hasText: 'Every 2h, keep 3' }).waitFor();
    await page.screenshot({ path: join(shots, 'schedule.png') });
    await page.getByRole('button', { name: 'Scheduled snapshots' }).click();
    await dialog.getByRole('button', { name: 'Turn off' }).click();
    await dialog.waitFor({ state: 'detached' });
    assert.equal((await ok('show', 'busy', '--json')).json.schedule, null);
    assert.deepEqual(session.problems, []);
  });
});
