// Remote libvirt hosts in the interface, in Chromium against web mode: a libvirtd of the test's own
// (test/helpers/libvirtd.node.ts) with one busybox domain that has a VNC display on loopback, reached
// as `lab` (its unix socket) and as `far` (qemu+ssh through an sshd of the test's own). The host and
// domain are shown; a failed start says why; start from the interface; the serial console shows the
// boot marker and takes typing; the display connects through the local port (lab) and through the
// connection's ssh tunnel (far), which ends when the viewer closes; a snapshot taken in the Snapshots
// view appears in the tree and restoring it brings back the data checked in the guest; forced stop;
// the daemon killed → disconnected, restarted → connected again, the local VM untouched.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { cliIn, tempHome, waitUntil } from '../helpers/cli.node.js';
import { guestShell } from '../helpers/guestShell.node.js';
import { startLibvirtd, testDomainXml, type LibvirtDaemon } from '../helpers/libvirtd.node.js';
import { startSshd, type TestSshd } from '../helpers/sshd.node.js';
import { startWebSession, type WebSession } from '../helpers/webMode.node.js';
import { fixturesDir, testOutputDir } from '../helpers/paths.js';
import { GUEST_READY } from '../fixtures/guest.node.js';
import { MainWindow } from './pages/index.js';
import { RemotePane } from './pages/RemotePane.js';

const DOMAIN = 'rg';
const shots = join(testOutputDir, 'e2e', 'remotes');

/** The ssh tunnels Hangar runs for displays with this sshd's client configuration (`ssh -F DIR/ssh_config … -W host:port`). */
function tunnels(sshdDir: string): number {
  let n = 0;
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (argv.includes('-W') && argv.some((a) => a.startsWith(sshdDir))) n++;
    } catch {
      /* gone */
    }
  }
  return n;
}

describe('remote libvirt hosts in the interface', () => {
  const { home, cleanup } = tempHome('hangar-remoteui-');
  const { ok } = cliIn(home);
  const sh = guestShell(home);
  let lv: LibvirtDaemon;
  let sshd: TestSshd;
  let session: WebSession;
  let page: Page;
  let win: MainWindow;
  let remote: RemotePane;
  let disk: string;

  before(async () => {
    mkdirSync(shots, { recursive: true });
    lv = await startLibvirtd();
    sshd = await startSshd();
    disk = join(lv.poolDir, `${DOMAIN}.qcow2`);
    copyFileSync(join(fixturesDir, 'test-disk.qcow2'), disk);
    const xml = join(lv.dir, 'rg.xml');
    writeFileSync(xml, testDomainXml(DOMAIN, disk, { vnc: true }));
    await lv.virsh(['define', xml]);
    await ok('remote', 'add', 'lab', lv.uri);
    await ok('remote', 'add', 'far', `qemu+ssh://root@127.0.0.1:${sshd.port}/system?socket=${lv.socket}&command=${sshd.command}`);
    // a local VM beside them, never started: it must stay as it is whatever the remotes do
    await ok('create', '--name', 'here', '--memory', '128', '--disk', 'none');
    session = await startWebSession(home);
    page = session.page;
    win = await MainWindow.open(page, session.url);
    remote = new RemotePane(page);
  });

  after(async () => {
    await session?.stop();
    await cleanup();
    await sshd?.stop();
    await lv?.stop();
  });

  test('the hosts and the domain are shown; a start that fails says why in one line', async () => {
    await remote.host('lab').waitFor();
    await remote.host('far').waitFor();
    assert.match(await remote.hostChip('lab'), /^libvirt \d+\.\d+\.\d+$/);
    assert.match(await remote.hostChip('far'), /^libvirt \d+\.\d+\.\d+$/);
    await waitUntil('the domain listed', async () => ((await remote.domainState('lab', DOMAIN)) === 'shut off' ? true : undefined), 30_000);
    await remote.select('lab', DOMAIN);
    // the pane shows '…' until libvirt has answered
    await remote.waitForState('shut off', 30_000);
    assert.equal(await remote.button('Start').isEnabled(), true);
    assert.equal(await remote.button('Power off').isEnabled(), false, 'nothing to power off');
    // the toolbar's local actions have no VM while a remote one is shown
    assert.equal(await win.isEnabled('Start'), false);
    await page.screenshot({ path: join(shots, 'remote-selected.png') });

    // libvirt's own error, shown in the pane: the disk is not there
    renameSync(disk, `${disk}.away`);
    try {
      await remote.press('Start');
      await remote.error.waitFor({ timeout: 60_000 });
      const text = await remote.error.innerText();
      assert.match(text, /^Cannot start “lab\/rg”: .*rg\.qcow2/);
      assert.equal(text.trim().split('\n').length, 1, text);
      assert.equal(await remote.state(), 'shut off');
    } finally {
      renameSync(`${disk}.away`, disk);
    }
  });

  test('start from the interface: the serial console shows the boot marker and takes typing', async () => {
    await remote.press('Start');
    await remote.waitForState('running');
    // the list follows in its own reload, a moment after the pane
    await waitUntil('the list to say running', async () => ((await remote.domainState('lab', DOMAIN)) === 'running' ? true : undefined), 30_000, 250);
    const con = await remote.openConsole();
    await con.waitForText(GUEST_READY, 180_000);
    await con.run('echo typed-$((6*7))');
    await con.waitForText('typed-42', 30_000);
    await page.screenshot({ path: join(shots, 'console.png') });
  });

  test('the display connects, locally and through the ssh tunnel, which ends with the viewer', async () => {
    let display = await remote.openDisplay();
    await display.waitConnected(60_000);
    const size = await display.canvas.evaluate((c) => [(c as unknown as { width: number }).width, (c as unknown as { height: number }).height]);
    assert.ok(size[0]! >= 320 && size[1]! >= 200, `a framebuffer: ${size.join('x')}`);
    await page.screenshot({ path: join(shots, 'display-lab.png') });

    assert.equal(tunnels(sshd.dir), 0);
    await remote.select('far', DOMAIN);
    if ((await remote.state()) !== 'running') {
      // not expected: say what the owner saw of the connection
      const log = readFileSync(join(home, 'owner.log'), 'utf8').split('\n').filter((l) => /remote/.test(l));
      console.log(`far/${DOMAIN} is ${await remote.state()}; the owner's log:\n${log.slice(-20).join('\n')}`);
    }
    await remote.waitForState('running', 60_000);
    display = await remote.openDisplay();
    await display.waitConnected(60_000);
    const far = await display.canvas.evaluate((c) => [(c as unknown as { width: number }).width, (c as unknown as { height: number }).height]);
    assert.deepEqual(far, size, 'the same screen through ssh');
    assert.equal(tunnels(sshd.dir), 1, 'one ssh -W tunnel');
    await page.screenshot({ path: join(shots, 'display-far.png') });
    await remote.openSnapshots();
    await waitUntil('the tunnel to end', () => (tunnels(sshd.dir) === 0 ? true : undefined), 15_000);
  });

  test('a snapshot taken in the Snapshots view appears in the tree; restoring it brings the data back', async () => {
    await remote.select('lab', DOMAIN);
    assert.equal((await sh(`lab/${DOMAIN}`, 'echo before > /tmp/mark; cat /tmp/mark')).output.trim(), 'before');
    const snaps = await remote.openSnapshots();
    assert.deepEqual(await snaps.names(), []);
    await snaps.toolbar.getByRole('button', { name: 'Take snapshot' }).click();
    const take = page.getByRole('dialog', { name: /Take a snapshot of “lab\/rg”/ });
    await take.getByRole('textbox', { name: 'Name' }).fill('ui-one');
    await take.getByRole('button', { name: 'Take snapshot' }).click();
    await take.waitFor({ state: 'detached', timeout: 180_000 });
    await snaps.waitForNode('ui-one');
    assert.equal(await snaps.currentName(), 'ui-one');
    assert.match((await ok('snapshot', 'list', `lab/${DOMAIN}`)).stdout, /^ui-one .*<- current/m);
    await page.screenshot({ path: join(shots, 'snapshots.png') });

    assert.equal((await sh(`lab/${DOMAIN}`, 'echo after > /tmp/mark; cat /tmp/mark')).output.trim(), 'after');
    await snaps.select('ui-one');
    await snaps.toolbar.getByRole('button', { name: 'Restore' }).click();
    const restore = page.getByRole('dialog', { name: /Restore snapshot “ui-one”/ });
    await restore.getByRole('button', { name: 'Restore' }).click();
    await restore.waitFor({ state: 'detached', timeout: 180_000 });
    await remote.waitForState('running');
    assert.equal((await sh(`lab/${DOMAIN}`, 'cat /tmp/mark')).output.trim(), 'before');
  });

  test('forced stop asks first, then the domain is off', async () => {
    await remote.press('Power off');
    const ask = page.getByRole('dialog', { name: /Power off “lab\/rg”/ });
    await ask.getByRole('button', { name: 'Power off' }).click();
    await remote.waitForState('shut off', 60_000);
    assert.equal((await lv.virsh(['domstate', DOMAIN])).trim(), 'shut off');
    const display = await remote.openDisplay();
    assert.match(await display.notRunningMessage.innerText(), /Start it to see its display/);
  });

  test('the daemon killed: the interface says disconnected; restarted: connected again; the local VM is untouched', async () => {
    await lv.kill();
    await waitUntil('lab to show disconnected', async () => ((await remote.hostChip('lab')) === 'disconnected' ? true : undefined), 60_000, 250);
    await remote.disconnectedNotice.waitFor({ timeout: 30_000 });
    assert.equal(await remote.button('Start').isEnabled(), false);
    assert.match((await remote.button('Start').getAttribute('aria-description')) ?? '', /lab is disconnected/);
    await page.screenshot({ path: join(shots, 'disconnected.png') });
    // the local VM: listed, stopped, its pane works
    assert.deepEqual(await win.vmNames(), ['here']);
    await win.selectVm('here');
    assert.equal(await win.vmState('here'), 'Stopped');
    assert.equal(await win.isEnabled('Start'), true);

    await lv.restart();
    await waitUntil('lab to connect again', async () => (/^libvirt /.test(await remote.hostChip('lab')) ? true : undefined), 90_000, 500);
    await waitUntil('far to connect again', async () => (/^libvirt /.test(await remote.hostChip('far')) ? true : undefined), 90_000, 500);
    await waitUntil('the domain listed again', async () => ((await remote.domainState('lab', DOMAIN)) === 'shut off' ? true : undefined), 30_000, 500);
    await remote.select('lab', DOMAIN);
    await remote.waitForState('shut off', 30_000);
    await waitUntil('Start to be offered again', async () => ((await remote.button('Start').isEnabled()) ? true : undefined), 15_000, 250);
    assert.equal(await win.vmState('here'), 'Stopped');
    await page.screenshot({ path: join(shots, 'reconnected.png') });
    assert.deepEqual(session.problems, []);
  });
});
