// A bridged network for real (issue 17), in network namespaces of the test's own: in one, a Linux
// bridge stands for the host's LAN (the host has an address on it, and a dnsmasq of the test's own
// hands out addresses there, as a home router would); a veth pair joins it to a second namespace, another
// machine on that LAN with an address of its own. A VM on `hangar network create lan --mode bridged
// --bridge <it>` gets its address from that LAN's DHCP, reaches the other machine and is reached by it;
// Hangar makes only its tap on the bridge, and neither stopping the VM nor deleting the network touches
// the host's bridge, its address or its other ports.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitUntil } from '../helpers/cli.node.js';
import { TestNetns } from '../helpers/netns.node.js';
import { guestCommands } from '../helpers/guestCommands.node.js';
import { fixtureGuest } from '../fixtures/guest.node.js';

const BOOT_TIMEOUT_S = '240';
const LAN_BRIDGE = 'lanbr0';
const HOST_ADDRESS = '192.168.77.1';
const LAN_MACHINE = '192.168.77.20';

describe('networks: bridged, joining a LAN bridge of the host', () => {
  const guest = fixtureGuest();
  const ns = TestNetns.create('hgbrd');
  const lanMachine = TestNetns.create('hglan');
  const home = mkdtempSync(join(tmpdir(), 'hangar-bridged-'));
  const routerDir = mkdtempSync(join(tmpdir(), 'hangar-lanrouter-'));
  const { h, ok } = ns.cli(home);
  const sh = guestCommands(h);
  /** The ports of the LAN bridge, by name. */
  const ports = () => (JSON.parse(ns.run('ip', '-j', 'link', 'show', 'master', LAN_BRIDGE)) as { ifname: string }[]).map((l) => l.ifname).sort();
  /** The LAN bridge as the host sees it: a bridge, up, with the host's address. */
  const lanBridge = () => {
    const [link] = JSON.parse(ns.run('ip', '-j', '-d', 'addr', 'show', 'dev', LAN_BRIDGE)) as { ifname: string; operstate: string; linkinfo?: { info_kind?: string }; addr_info: { family: string; local: string; prefixlen: number }[] }[];
    return { kind: link?.linkinfo?.info_kind, v4: link?.addr_info.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`) };
  };
  let guestAddress = '';

  before(async () => {
    // The host's LAN: a bridge with the host's address on it.
    ns.run('ip', 'link', 'add', 'name', LAN_BRIDGE, 'type', 'bridge');
    ns.run('ip', 'addr', 'add', `${HOST_ADDRESS}/24`, 'dev', LAN_BRIDGE);
    ns.run('ip', 'link', 'set', 'dev', LAN_BRIDGE, 'up');
    // Another machine on that LAN, through a veth pair (its end is eth0 in the other namespace).
    ns.run('ip', 'link', 'add', 'name', 'lanpeer0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', lanMachine.name);
    ns.run('ip', 'link', 'set', 'dev', 'lanpeer0', 'master', LAN_BRIDGE);
    ns.run('ip', 'link', 'set', 'dev', 'lanpeer0', 'up');
    lanMachine.run('ip', 'addr', 'add', `${LAN_MACHINE}/24`, 'dev', 'eth0');
    lanMachine.run('ip', 'link', 'set', 'dev', 'eth0', 'up');
    // The LAN's router hands out addresses (DHCP only: port=0 turns its DNS off); it forks once bound.
    ns.run(
      'dnsmasq',
      '--conf-file=/dev/null',
      '--port=0',
      '--user=root',
      `--interface=${LAN_BRIDGE}`,
      '--bind-interfaces',
      '--dhcp-range=192.168.77.100,192.168.77.150,255.255.255.0,1h',
      `--dhcp-leasefile=${join(routerDir, 'leases')}`,
      `--pid-file=${join(routerDir, 'pid')}`,
    );
    await waitUntil('the LAN machine to answer the host', () => (ns.try('busybox', 'ping', '-c', '1', '-W', '2', LAN_MACHINE).code === 0 ? true : undefined), 30_000);

    await ok('network', 'create', 'lan', '--mode', 'bridged', '--bridge', LAN_BRIDGE);
    await ok('create', '--name', 'guest', '--disk', 'none', '--memory', '128', '--kernel', guest.kernel, '--initrd', guest.initrd, '--append', 'console=ttyS0 quiet', '--nic', 'virtio,network=lan');
    assert.deepEqual(ports(), ['lanpeer0'], 'nothing is made before the VM starts');
    await ok('start', 'guest', '--wait-serial', 'TESTGUEST NET', '--timeout', BOOT_TIMEOUT_S);
  });

  after(async () => {
    await h('shutdown', '--force').catch(() => undefined);
    await ns.destroy();
    await lanMachine.destroy();
    rmSync(home, { recursive: true, force: true });
    rmSync(routerDir, { recursive: true, force: true });
  });

  test('the network joins the host bridge: no subnet, no DHCP, no bridge of its own', async () => {
    const lan = (await ok('network', 'show', 'lan', '--json')).json;
    assert.equal(lan.mode, 'bridged');
    assert.equal(lan.bridge, LAN_BRIDGE);
    assert.equal(lan.subnet, null);
    assert.equal(lan.dhcp, false);
    assert.equal(lan.gateway, null);
    assert.equal(lan.up, true);
    assert.deepEqual(lan.vms, ['guest']);
    // Only the LAN's own bridge, and no dnsmasq or nftables table of Hangar's.
    assert.deepEqual((JSON.parse(ns.run('ip', '-j', 'link', 'show', 'type', 'bridge')) as { ifname: string }[]).map((l) => l.ifname), [LAN_BRIDGE]);
    const routerPid = Number(readFileSync(join(routerDir, 'pid'), 'utf8').trim());
    assert.deepEqual(ns.processes('dnsmasq').map((p) => p.pid), [routerPid], "only the LAN router's dnsmasq");
    assert.equal(ns.run('nft', 'list', 'tables').trim(), '');
  });

  test("the VM's card is a tap on the host bridge, and the guest gets its address from the LAN's DHCP", async () => {
    const taps = ports().filter((p) => p.startsWith('hgt'));
    assert.equal(taps.length, 1, `one tap of Hangar's on ${LAN_BRIDGE}: ${ports().join(' ')}`);
    assert.deepEqual(ports(), ['lanpeer0', taps[0]].sort());
    const serial = (await ok('serial', 'guest')).stdout;
    const m = /TESTGUEST NET (192\.168\.77\.\d+)/.exec(serial);
    assert.ok(m, `a lease from the LAN's router: ${serial.slice(-300)}`);
    guestAddress = m[1]!;
    const mac = (await ok('show', 'guest', '--json')).json.nics[0].mac as string;
    const leases = readFileSync(join(routerDir, 'leases'), 'utf8');
    assert.match(leases, new RegExp(`\\b${mac}\\b ${guestAddress.replace(/\./g, '\\.')}\\b`), `the router leased ${guestAddress} to the card's MAC ${mac}: ${leases}`);
  });

  test('the guest reaches the other machine on the LAN, and the host', async () => {
    assert.equal(await sh.status('guest', `ping -c 1 -W 3 ${LAN_MACHINE}`), 0, 'the LAN machine');
    assert.equal(await sh.status('guest', `ping -c 1 -W 3 ${HOST_ADDRESS}`), 0, "the host's address on the LAN");
  });

  test('the other machine on the LAN reaches the guest: ping and a web page it serves', async () => {
    assert.equal(lanMachine.try('busybox', 'ping', '-c', '1', '-W', '3', guestAddress).code, 0);
    assert.equal(await sh.status('guest', 'mkdir -p /www && echo on-the-lan > /www/index.html && httpd -p 80 -h /www'), 0);
    const page = await waitUntil('the guest to answer the LAN machine', () => {
      const got = lanMachine.httpGet(`http://${guestAddress}/index.html`);
      return got.code === 0 ? got.stdout.trim() : undefined;
    });
    assert.equal(page, 'on-the-lan');
  });

  test('a stopped VM leaves only its tap; deleting the network keeps the host bridge, its address and its other ports', async () => {
    await ok('stop', 'guest', '--force');
    await waitUntil(`the tap to leave ${LAN_BRIDGE} (ports: ${ports().join(' ')})`, () => (ports().length === 1 ? true : undefined), 30_000);
    assert.deepEqual(ports(), ['lanpeer0']);
    const r = await h('network', 'delete', 'lan');
    assert.equal(r.code, 1, 'still used by the stopped VM');
    assert.match(r.stderr, /network 'lan' is in use by VM 'guest'/);
    await ok('delete', 'guest');
    await ok('network', 'delete', 'lan');
    assert.equal((await h('network', 'show', 'lan')).code, 1, 'the network is gone');
    const br = lanBridge();
    assert.equal(br.kind, 'bridge', 'the host bridge is still there');
    assert.deepEqual(br.v4, [`${HOST_ADDRESS}/24`], 'with its address');
    assert.deepEqual(ports(), ['lanpeer0'], 'and its other port');
    assert.equal(ns.try('busybox', 'ping', '-c', '1', '-W', '3', LAN_MACHINE).code, 0, 'the LAN works as before');
  });

  test("a bridged network whose host bridge went away: the VM's start is refused in one line, nothing is made", async () => {
    ns.run('ip', 'link', 'add', 'name', 'lanbr1', 'type', 'bridge');
    await ok('network', 'create', 'lan2', '--mode', 'bridged', '--bridge', 'lanbr1');
    await ok('create', '--name', 'late', '--disk', 'none', '--memory', '128', '--kernel', guest.kernel, '--initrd', guest.initrd, '--nic', 'virtio,network=lan2');
    ns.run('ip', 'link', 'del', 'dev', 'lanbr1');
    const r = await h('start', 'late');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /bridge lanbr1 of network 'lan2' is not on this host/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.equal((await ok('show', 'late', '--json')).json.state, 'stopped');
    const links = (JSON.parse(ns.run('ip', '-j', 'link', 'show')) as { ifname: string }[]).map((l) => l.ifname);
    assert.deepEqual(links.filter((n) => n.startsWith('hgt') || n === 'lanbr1'), [], 'no tap, and no bridge made in its place');
  });
});
