// Networks for real (issue 17), in a network namespace of the test's own: a nat network (two VMs get
// DHCP addresses, ping each other by address and by name, a host port forwarded to one answers), a
// host-only one (the host reaches the guest, the guest has no way out), cards plugged into running
// VMs on an internal network (they reach each other, the host does not), a cable pulled and plugged
// back, port forwards changed while running, a card unplugged, and an owner killed with SIGKILL (the
// next one adopts the bridge and the dnsmasq: none is made twice). Three guests boot once for all.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitUntil, waitForProcessGone } from '../helpers/cli.node.js';
import { TestNetns } from '../helpers/netns.node.js';
import { guestCommands } from '../helpers/guestCommands.node.js';
import { fixtureGuest } from '../fixtures/guest.node.js';

const BOOT_TIMEOUT_S = '240';

describe('networks: nat, host-only, internal, hot-plug, cables, forwards, an owner killed', () => {
  const guest = fixtureGuest();
  const ns = TestNetns.create('hgnet');
  const home = mkdtempSync(join(tmpdir(), 'hangar-net-'));
  const { h, ok } = ns.cli(home);
  const sh = guestCommands(h);
  const show = async (vm: string) => (await ok('show', vm, '--json')).json;
  const net = async (name: string) => (await ok('network', 'show', name, '--json')).json;
  /** The host's side, inside the namespace: an HTTP GET (exit status and body). */
  const fetch = (url: string) => ns.httpGet(url);
  const hostPing = (address: string) => ns.try('busybox', 'ping', '-c', '1', '-W', '2', address).code;
  const bridges = () => (JSON.parse(ns.run('ip', '-j', '-d', 'link', 'show', 'type', 'bridge')) as { ifname: string }[]).map((l) => l.ifname).sort();
  const taps = () => (JSON.parse(ns.run('ip', '-j', 'link', 'show')) as { ifname: string }[]).map((l) => l.ifname).filter((n) => n.startsWith('hgt')).sort();
  const addresses: Record<string, string> = {};

  const createVm = (name: string, ...nic: string[]) =>
    ok('create', '--name', name, '--disk', 'none', '--memory', '128', '--kernel', guest.kernel, '--initrd', guest.initrd, '--append', 'console=ttyS0 quiet', ...nic);

  before(async () => {
    await ok('network', 'create', 'lab', '--mode', 'nat', '--subnet', '10.77.0.0/24');
    await ok('network', 'create', 'ho', '--mode', 'hostonly', '--subnet', '192.168.56.0/24');
    await ok('network', 'create', 'iso', '--mode', 'internal');
    await createVm('web', '--nic', 'virtio,network=lab', '--forward', 'tcp:8080:80');
    await createVm('db', '--nic', 'e1000,network=lab');
    await createVm('lonely', '--nic', 'virtio,network=ho');
    // Before any VM runs, nothing is made on the host.
    assert.deepEqual(bridges(), []);
    await Promise.all(['web', 'db', 'lonely'].map((vm) => ok('start', vm, '--wait-serial', 'TESTGUEST NET', '--timeout', BOOT_TIMEOUT_S)));
  });

  after(async () => {
    await h('shutdown', '--force').catch(() => undefined);
    await ns.destroy();
    rmSync(home, { recursive: true, force: true });
  });

  test('nat: each VM gets a DHCP address in the subnet, shown by list, show and network show', async () => {
    for (const vm of ['web', 'db']) {
      const serial = (await ok('serial', vm)).stdout;
      const m = /TESTGUEST NET (10\.77\.0\.\d+)/.exec(serial);
      assert.ok(m, `${vm} got a lease in 10.77.0.0/24: ${serial.slice(-300)}`);
      addresses[vm] = m[1]!;
      const nic = (await show(vm)).nics[0];
      assert.equal(nic.network, 'lab');
      assert.deepEqual(nic.ipAddresses, [m[1]]);
    }
    assert.notEqual(addresses.web, addresses.db);
    const list = (await ok('list', '--json')).json.vms as { name: string; ipAddresses?: string[] }[];
    assert.deepEqual(list.find((v) => v.name === 'web')?.ipAddresses, [addresses.web]);
    const lab = await net('lab');
    assert.equal(lab.up, true);
    assert.equal(lab.gateway, '10.77.0.1');
    assert.deepEqual(lab.vms, ['web', 'db']);
    assert.deepEqual(lab.reservations.map((r: { vm: string; address: string; hostname: string; leased: boolean }) => [r.vm, r.address, r.hostname, r.leased]).sort(), [
      ['db', addresses.db, 'db', true],
      ['web', addresses.web, 'web', true],
    ]);
  });

  test('nat: the VMs ping each other by address and by name', async () => {
    assert.equal(await sh.status('web', `ping -c 1 -W 3 ${addresses.db}`), 0);
    assert.equal(await sh.status('web', 'ping -c 1 -W 3 db'), 0);
    assert.equal(await sh.status('db', 'ping -c 1 -W 3 web'), 0);
    assert.equal(await sh.value('db', 'nslookup web | grep -A1 "^Name:" | tail -1'), `Address: ${addresses.web}`);
  });

  test('nat: a host port forwarded to a VM on the network answers', async () => {
    assert.equal(await sh.status('web', 'mkdir -p /www && echo served-by-web > /www/index.html && httpd -p 80 -h /www'), 0);
    const r = await waitUntil('the forward to answer', () => {
      const got = fetch('http://127.0.0.1:8080/index.html');
      return got.code === 0 ? got : undefined;
    });
    assert.equal(r.stdout.trim(), 'served-by-web');
  });

  test('host-only: the host reaches the guest; the guest has no default route out', async () => {
    const serial = (await ok('serial', 'lonely')).stdout;
    const m = /TESTGUEST NET (192\.168\.56\.\d+)/.exec(serial);
    assert.ok(m, 'a lease in the host-only subnet');
    addresses.lonely = m[1]!;
    assert.equal(hostPing(addresses.lonely), 0, 'the host pings the guest');
    assert.equal(await sh.status('lonely', 'mkdir -p /www && echo host-only > /www/index.html && httpd -p 80 -h /www'), 0);
    const page = await waitUntil('the guest to answer the host', () => {
      const got = fetch(`http://${addresses.lonely}/index.html`);
      return got.code === 0 ? got.stdout.trim() : undefined;
    });
    assert.equal(page, 'host-only');
    assert.equal(await sh.value('lonely', 'ip route | grep -c default'), '0', 'no default route');
    assert.notEqual(await sh.status('lonely', `ping -c 1 -W 2 ${addresses.web}`), 0, 'nothing beyond the host-only network');
    assert.notEqual(await sh.status('web', `ping -c 1 -W 2 ${addresses.lonely}`), 0, 'and nothing from the nat network into it');
  });

  test('hot-plug: a second card on an internal network, plugged into the running VMs; they reach each other there, the host does not', async () => {
    const tapsBefore = taps().length;
    await ok('modify', 'web', '--nic', 'virtio,network=lab', '--nic', 'virtio,network=iso');
    await ok('modify', 'db', '--nic', 'e1000,network=lab', '--nic', 'e1000,network=iso');
    for (const vm of ['web', 'db']) {
      const nics = (await show(vm)).nics;
      assert.deepEqual(nics.map((n: { id: string; network: string }) => [n.id, n.network]), [['net0', 'lab'], ['net1', 'iso']]);
      // the guest sees the card once it has handled the PCI hot-plug, a moment after QEMU added it
      await waitUntil(`${vm} to see its new card`, async () => ((await sh.status(vm, 'ip link show eth1', 60_000)) === 0 ? true : undefined), 60_000, 500);
    }
    assert.equal(taps().length, tapsBefore + 2);
    assert.equal(await sh.status('web', 'ip addr add 10.99.0.1/24 dev eth1 && ip link set eth1 up'), 0);
    assert.equal(await sh.status('db', 'ip addr add 10.99.0.2/24 dev eth1 && ip link set eth1 up'), 0);
    assert.equal(await waitUntil('web to reach db on the internal network', async () => ((await sh.status('web', 'ping -c 1 -W 2 10.99.0.2')) === 0 ? true : undefined), 60_000), true);
    const iso = await net('iso');
    assert.equal(iso.transport, 'bridge');
    assert.equal(ns.run('ip', '-4', 'addr', 'show', 'dev', iso.bridge).trim(), '', 'the host has no address on an internal network');
    assert.notEqual(hostPing('10.99.0.2'), 0, 'the host does not reach them');
    assert.notEqual(ns.try('ip', 'route', 'get', '10.99.0.2').code, 0, 'the host has no route there');
  });

  test('cable: disconnected, the guest sees its link down and loses the network; connected again, both come back', async () => {
    await ok('modify', 'web', '--nic-link', 'net1', 'down');
    assert.equal((await show('web')).nics[1].linkUp, false);
    await waitUntil('the link to go down in the guest', async () => ((await sh.value('web', 'cat /sys/class/net/eth1/carrier')) === '0' ? true : undefined), 60_000);
    assert.notEqual(await sh.status('web', 'ping -c 1 -W 2 10.99.0.2'), 0, 'no traffic without a cable');
    await ok('modify', 'web', '--nic-link', 'net1', 'up');
    assert.equal((await show('web')).nics[1].linkUp, true);
    await waitUntil('the link to come up in the guest', async () => ((await sh.value('web', 'cat /sys/class/net/eth1/carrier')) === '1' ? true : undefined), 60_000);
    await waitUntil('traffic again', async () => ((await sh.status('web', 'ping -c 1 -W 2 10.99.0.2')) === 0 ? true : undefined), 60_000);
  });

  test('port forwards change while the VMs run: on a nat network, and on a user-mode card plugged in', async () => {
    await ok('modify', 'web', '--forward', 'tcp:8081:80');
    assert.equal(fetch('http://127.0.0.1:8081/index.html').stdout.trim(), 'served-by-web');
    assert.notEqual(fetch('http://127.0.0.1:8080/index.html').code, 0, 'the old forward is gone');
    // A user-mode card with a forward, plugged into the host-only VM, then its forward moved.
    await ok('modify', 'lonely', '--nic', 'virtio,network=ho', '--nic', 'virtio,forward=tcp:2223:80');
    // the guest sees a hot-plugged card when it has handled the PCI hot-plug, a moment after QEMU added it
    await waitUntil('the plugged card in the guest', async () => ((await sh.status('lonely', 'ip link show eth1', 60_000)) === 0 ? true : undefined), 60_000, 500);
    // QEMU's user-mode network gives the guest 10.0.2.15, where its forwards lead.
    assert.equal(await sh.status('lonely', 'ip link set eth1 up && ip addr add 10.0.2.15/24 dev eth1'), 0);
    await waitUntil('the user-mode forward to answer', () => (fetch('http://127.0.0.1:2223/index.html').stdout.trim() === 'host-only' ? true : undefined));
    await ok('modify', 'lonely', '--nic', 'virtio,network=ho', '--nic', 'virtio,forward=tcp:2224:80');
    assert.equal(fetch('http://127.0.0.1:2224/index.html').stdout.trim(), 'host-only');
    assert.notEqual(fetch('http://127.0.0.1:2223/index.html').code, 0);
  });

  test('unplug: a card removed from a running VM leaves the guest and the host', async () => {
    const before = taps().length;
    await ok('modify', 'db', '--nic-remove', 'net1');
    assert.deepEqual((await show('db')).nics.map((n: { id: string }) => n.id), ['net0']);
    assert.equal(await sh.value('db', 'ls /sys/class/net'), 'eth0 lo');
    assert.equal(taps().length, before - 1);
    // A card cannot change its model while it runs: one line, nothing changed.
    const r = await h('modify', 'db', '--nic', 'virtio,network=lab');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /the model of network card net0 cannot change while VM 'db' runs/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.equal((await show('db')).nics[0].model, 'e1000');
  });

  test('an owner killed with SIGKILL: the next one re-attaches; no second dnsmasq, no second bridge; the VMs still reach each other', async () => {
    const lab = await net('lab');
    const dnsmasqBefore = ns.processes('dnsmasq --conf-file=').map((p) => p.pid).sort();
    const bridgesBefore = bridges();
    const tapsBefore = taps();
    assert.equal(dnsmasqBefore.length, 2, 'one dnsmasq for lab, one for ho');
    const ownerPid = (await ok('host', '--json')).json.ownerPid as number;
    process.kill(ownerPid, 'SIGKILL');
    await waitForProcessGone(ownerPid);
    const list = (await ok('list', '--json')).json.vms as { name: string; state: string }[];
    assert.deepEqual(list.map((v) => v.state), ['running', 'running', 'running']);
    assert.notEqual((await ok('host', '--json')).json.ownerPid, ownerPid, 'a new owner');
    assert.deepEqual(ns.processes('dnsmasq --conf-file=').map((p) => p.pid).sort(), dnsmasqBefore, 'the same dnsmasq processes, adopted');
    assert.deepEqual(bridges(), bridgesBefore, 'the same bridges, none twice');
    assert.deepEqual(taps(), tapsBefore, 'the same taps');
    assert.equal(bridgesBefore.filter((b) => b === lab.bridge).length, 1);
    assert.equal(await sh.status('web', 'ping -c 1 -W 3 db'), 0);
    assert.equal(await sh.status('db', `ping -c 1 -W 3 ${addresses.web}`), 0);
    assert.equal(fetch('http://127.0.0.1:8081/index.html').stdout.trim(), 'served-by-web', 'forwards kept');
    // The new owner also cleans up after a VM that stops: its taps go, the forward with it.
    await ok('stop', 'lonely', '--force');
    // (the owner removes the taps once the VM's host reports it stopped, just after `stop` returns)
    await waitUntil(`lonely's tap to go (taps: ${taps().join(' ')})`, () => (taps().length === tapsBefore.length - 1 ? true : undefined), 30_000);
    assert.equal(taps().length, tapsBefore.length - 1, 'its tap on the host-only network (its user-mode card has none)');
    assert.notEqual(fetch('http://127.0.0.1:2224/index.html').code, 0);
  });

  test('deleting a network: refused while in use (naming the VMs); afterwards bridge, dnsmasq and table are gone', async () => {
    const r = await h('network', 'delete', 'lab');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /network 'lab' is in use by VMs 'web', 'db'/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    const ho = await net('ho');
    await ok('delete', 'lonely');
    await ok('network', 'delete', 'ho');
    assert.ok(!bridges().includes(ho.bridge), 'its bridge is gone');
    assert.deepEqual(ns.processes(ho.id), [], 'its dnsmasq is gone');
    assert.ok(!ns.run('nft', 'list', 'tables').includes(ho.id.replace(/-/g, '').slice(0, 12)), 'its table is gone');
    assert.equal((await h('network', 'show', 'ho')).code, 1);
  });
});
