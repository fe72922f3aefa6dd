// Networks where Hangar has no privileges (issue 17): an owner without CAP_NET_ADMIN (dropped from its
// bounding set, as a user's desktop session runs) in a network namespace of the test's own. An
// internal network falls back to QEMU's multicast socket on loopback: the two VMs reach each other,
// the host has nothing on that network and does not reach them. A nat network refuses to start in
// one line that says what grants the privilege, and nothing is made.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitUntil } from '../helpers/cli.node.js';
import { TestNetns } from '../helpers/netns.node.js';
import { guestCommands } from '../helpers/guestCommands.node.js';
import { fixtureGuest } from '../fixtures/guest.node.js';

describe('networks without privileges', () => {
  const guest = fixtureGuest();
  const ns = TestNetns.create('hgunp');
  const home = mkdtempSync(join(tmpdir(), 'hangar-unpriv-'));
  const { h, ok } = ns.cli(home, { unprivileged: true });
  const sh = guestCommands(h);
  const createVm = (name: string, nic: string) =>
    ok('create', '--name', name, '--disk', 'none', '--memory', '128', '--kernel', guest.kernel, '--initrd', guest.initrd, '--append', 'console=ttyS0 quiet', '--nic', nic);

  before(async () => {
    await ok('network', 'create', 'iso', '--mode', 'internal');
    await ok('network', 'create', 'lab', '--mode', 'nat');
    await createVm('left', 'virtio,network=iso');
    await createVm('right', 'e1000,network=iso');
    await createVm('outside', 'virtio,network=lab');
  });
  after(async () => {
    await h('shutdown', '--force').catch(() => undefined);
    await ns.destroy();
    rmSync(home, { recursive: true, force: true });
  });

  test('the owner knows it has no CAP_NET_ADMIN; a nat network refuses to start in one line, and nothing is made', async () => {
    assert.equal((await ok('network', 'list', '--json')).json.privileged, false);
    const r = await h('start', 'outside');
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /network 'lab' \(nat\) needs its bridge hgbr\d, taps, dnsmasq and nftables rules, which only a Hangar running with the CAP_NET_ADMIN capability can make: .*as root.*setpriv --ambient-caps \+net_admin/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.equal((await ok('show', 'outside', '--json')).json.state, 'stopped', 'not even aborted: it never began');
    assert.equal(ns.run('ip', '-br', 'link').trim().split('\n').length, 1, 'only loopback: no bridge, no tap');
  });

  test('internal: QEMU multicast sockets on loopback; the two VMs reach each other, the host does not reach them', async () => {
    await Promise.all(['left', 'right'].map((vm) => ok('start', vm, '--wait-serial', 'TESTGUEST READY', '--timeout', '240')));
    const iso = (await ok('network', 'show', 'iso', '--json')).json;
    assert.equal(iso.transport, 'multicast');
    assert.equal(iso.up, false);
    const qemu = ns.processes('qemu-system').map((p) => readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').split('\0'));
    assert.equal(qemu.length, 2);
    for (const argv of qemu) assert.ok(argv.some((a) => /^socket,id=net0_netdev,mcast=239\.255\.\d+\.\d+:\d+,localaddr=127\.0\.0\.1$/.test(a)), argv.join(' '));
    assert.equal(await sh.status('left', 'ip addr add 10.98.0.1/24 dev eth0 && ip link set eth0 up'), 0);
    assert.equal(await sh.status('right', 'ip addr add 10.98.0.2/24 dev eth0 && ip link set eth0 up'), 0);
    await waitUntil('left to reach right', async () => ((await sh.status('left', 'ping -c 1 -W 2 10.98.0.2')) === 0 ? true : undefined), 90_000);
    assert.equal(await sh.status('right', 'ping -c 1 -W 2 10.98.0.1'), 0);
    assert.equal(ns.run('ip', '-br', 'link').trim().split('\n').length, 1, 'the host has no interface on it');
    assert.notEqual(ns.try('busybox', 'ping', '-c', '1', '-W', '2', '10.98.0.2').code, 0, 'the host does not reach them');
  });
});
