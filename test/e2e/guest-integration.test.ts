// Guest integration in the interface, in Chromium against web mode and a real guest with the tools disc
// (qemu-ga, Xvfb with spice-vdagent, xclip): text set in the page's clipboard panel arrives in the guest's
// clipboard and back; the guest's display is told the Display view's size; the Details tab shows what
// the agent says and how to mount the shares; the New VM wizard makes a VM with shares and a TPM.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { startWebSession, type WebSession } from '../helpers/webMode.node.js';
import { cliIn, tempHome, waitUntil } from '../helpers/cli.node.js';
import { testOutputDir } from '../helpers/paths.js';
import { fixtureGuest, GUEST_TOOLS } from '../fixtures/guest.node.js';
import { MainWindow } from './pages/index.js';

const shots = join(testOutputDir, 'e2e', 'guest-integration');

describe('guest integration in the interface', () => {
  const { home, cleanup } = tempHome();
  const { ok } = cliIn(home);
  const guest = fixtureGuest();
  const shared = join(home, '..', `${home.split('/').pop()}-shared`);
  let session: WebSession;
  let page: Page;
  let win: MainWindow;
  /** Runs a shell command in the guest through its agent, as root, with the X display set. */
  const inGuest = async (command: string) => (await ok('exec', 'clip', '--timeout', '60', '--', 'sh', '-c', `export DISPLAY=:0; ${command}`)).stdout;

  before(async () => {
    mkdirSync(shots, { recursive: true });
    mkdirSync(shared, { recursive: true });
    await ok(
      'create', '--name', 'clip', '--memory', '384', '--nic', 'virtio', '--disk', 'none',
      '--kernel', guest.kernel, '--initrd', guest.initrd, '--append', 'console=ttyS0,115200 quiet',
      '--iso', guest.tools, '--share', `${shared},tag=work`, '--clipboard', 'on',
    );
    await ok('start', 'clip', '--wait-serial', GUEST_TOOLS, '--timeout', '240');
    session = await startWebSession(home);
    page = session.page;
    win = await MainWindow.open(page, session.url);
  });

  after(async () => {
    await session?.stop();
    await cleanup();
    rmSync(shared, { recursive: true, force: true });
  });

  test('the Details tab shows the guest agent’s facts and how to mount the shared folder', async () => {
    await win.selectVm('clip');
    await win.showDetails();
    const guestSection = page.getByRole('region', { name: 'Guest' });
    await waitUntil('the agent to report the address', async () => ((await guestSection.innerText()).includes('10.0.2.15') ? true : undefined), 120_000, 1_000);
    const text = await guestSection.innerText();
    assert.match(text, /Connected/);
    assert.match(text, /testguest/);
    assert.match(text, /Hangar test guest \(busybox\)/);
    const shares = page.getByRole('region', { name: 'Shared folders' });
    assert.match(await shares.innerText(), /mount -t virtiofs work \/mnt\/work/);
    assert.match(await win.vmList.innerText(), /testguest · 10\.0\.2\.15/, 'the list shows the host name and address');
    await page.screenshot({ path: join(shots, 'details.png') });
  });

  test('clipboard text set in the page arrives in the guest, and the guest’s comes back', async () => {
    const display = await win.openDisplay();
    await display.waitConnected(60_000);
    // spice-vdagent connects to QEMU's vdagent once X is up in the guest; its daemon then opens the port.
    await waitUntil(
      'the guest clipboard agent',
      async () => ((await inGuest('pidof spice-vdagent >/dev/null && grep -q "opening vdagent virtio channel" /tmp/spice-vdagentd.log && echo up || true')).trim() === 'up' ? true : undefined),
      120_000,
      1_000,
    );
    // QEMU drops clipboard text that comes before the guest's agent has announced what it can do (a moment
    // after the port opens), so the page sends again until the text is there, as a person would.
    // QEMU 7.2 hands the guest the VNC extended clipboard's text with its NUL terminator: one trailing NUL is
    // QEMU's, not the page's.
    await waitUntil(
      'the text in the guest clipboard',
      async () => {
        await display.sendClipboard('hello from the page');
        return (await inGuest('timeout 10 xclip -selection clipboard -o 2>/dev/null || true')).replace(/\0$/, '') === 'hello from the page' ? true : undefined;
      },
      60_000,
      1_000,
    );
    // xclip stays in the background to own the selection: without its output the agent's command ends.
    await inGuest("printf 'from the guest' | xclip -selection clipboard -i >/dev/null 2>&1");
    await waitUntil('the guest text in the page', async () => ((await display.clipboardFromGuest()) === 'from the guest' ? true : undefined), 60_000, 500);
    await page.screenshot({ path: join(shots, 'clipboard.png') });
  });

  test('the guest display is told the Display view’s size', async () => {
    const display = await win.openDisplay();
    await display.waitConnected(60_000);
    // Asking the connector to detect makes the guest's kernel read the size QEMU was told (its first mode).
    const preferred = async () => {
      const line = (await inGuest('c=$(echo /sys/class/drm/card*-Virtual-1); echo detect > $c/status; head -n1 $c/modes')).trim();
      const m = /^(\d+)x(\d+)$/.exec(line);
      return m ? { width: Number(m[1]), height: Number(m[2]) } : undefined;
    };
    // The guest's mode timings may round a dimension by a few pixels.
    const near = (a: number, b: number) => Math.abs(a - b) <= 8;
    const seen: { width: number; height: number }[] = [];
    for (const viewport of [{ width: 1200, height: 820 }, { width: 1000, height: 700 }]) {
      await page.setViewportSize(viewport);
      const size = await display.screenSize();
      seen.push(size);
      await waitUntil(
        `the guest's preferred mode to be about ${size.width}x${size.height}`,
        async () => {
          const p = await preferred();
          return p && near(p.width, size.width) && near(p.height, size.height) ? true : undefined;
        },
        60_000,
        1_000,
      );
    }
    assert.ok(!near(seen[0]!.width, seen[1]!.width) && !near(seen[0]!.height, seen[1]!.height), `the two views differ: ${JSON.stringify(seen)}`);
  });

  test('the New VM wizard makes a VM with a shared folder, a TPM and the clipboard on', async () => {
    const wizard = await win.openNewVmWizard();
    await wizard.fill({ name: 'wizard-guest', disk: 'none', tpm: true, clipboard: true, shares: [{ hostPath: shared, tag: 'docs', readOnly: true }] });
    await page.screenshot({ path: join(shots, 'wizard-summary.png') });
    await wizard.create();
    await win.waitForVm('wizard-guest');
    const vm = (await ok('show', 'wizard-guest', '--json')).json;
    assert.equal(vm.tpm, true);
    assert.equal(vm.display.clipboard, true);
    assert.deepEqual(vm.shares, [{ tag: 'docs', hostPath: shared, readOnly: true, mode: 'virtiofs' }]);
  });
});
