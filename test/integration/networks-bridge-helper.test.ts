// A user's Hangar without CAP_NET_ADMIN joins a bridge through qemu-bridge-helper (issue 17): the owner,
// its VMM hosts and QEMU run as the user nobody; QEMU spawns the helper, setuid root as an admin allows
// it, which makes the tap on a bridge its access list (/etc/qemu/bridge.conf) allows and hands QEMU its fd.
// Everything the machine would need for that is made only inside a mount namespace of the test's own
// (the helper's list in an overlay of /etc, the setuid copy of the helper bound over Debian's, and a
// /dev/net/tun node readable by all, as on a Debian host: in this container it is root's only), and
// every network part inside a network namespace of the test's own: the machine itself is untouched.
// The LAN is as in networks-bridged.test.ts: a bridge with the host's address, a router's DHCP, and
// another machine behind a veth. Then a host-only network of Hangar's: refused while its bridge is not
// made; made once by the same user's Hangar granted the capabilities (setpriv --ambient-caps, as the
// refusal says); afterwards the user's Hangar without them attaches the card to it through the helper.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitUntil } from '../helpers/cli.node.js';
import { TestNetns } from '../helpers/netns.node.js';
import { guestCommands } from '../helpers/guestCommands.node.js';
import { fixtureGuest } from '../fixtures/guest.node.js';

const BOOT_TIMEOUT_S = '240';
const HELPER = '/usr/lib/qemu/qemu-bridge-helper';
const NOBODY = 65534;
const LAN_BRIDGE = 'lanbr0';
const OTHER_BRIDGE = 'lanbr1';
const LAN_MACHINE = '192.168.78.20';

describe('networks: qemu-bridge-helper, for an owner without CAP_NET_ADMIN', () => {
  const guest = fixtureGuest();
  const ns = TestNetns.create('hgbrh');
  const lanMachine = TestNetns.create('hglan');
  const dir = mkdtempSync(join(tmpdir(), 'hangar-brhelper-'));
  const home = join(dir, 'home');
  const holder = join(dir, 'ns');
  const mountNs = join(holder, 'mnt');
  const { h, ok } = ns.cli(home, { asUid: NOBODY, mountNs });
  const privileged = ns.cli(home, { asUid: NOBODY, netAdmin: true, mountNs });
  const sh = guestCommands(h);
  const inMountNs = (...args: string[]) => execFileSync('nsenter', [`--mount=${mountNs}`, ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
  const ports = (bridge: string) => (JSON.parse(ns.run('ip', '-j', 'link', 'show', 'master', bridge)) as { ifname: string }[]).map((l) => l.ifname).sort();
  let mounted = false;
  let guestAddress = '';

  before(async () => {
    // The mount namespace, kept by a bind mount of its file under the test's folder.
    chmodSync(dir, 0o755);
    mkdirSync(home);
    chownSync(home, NOBODY, NOBODY);
    mkdirSync(holder);
    execFileSync('mount', ['--bind', holder, holder]);
    mounted = true;
    execFileSync('mount', ['--make-private', holder]);
    writeFileSync(mountNs, '');
    execFileSync('unshare', [`--mount=${mountNs}`, '--propagation', 'private', 'true']);
    // Inside it only: /etc/qemu/bridge.conf (the helper reads that path, fixed when it was built).
    mkdirSync(join(dir, 'etc-upper', 'qemu'), { recursive: true });
    mkdirSync(join(dir, 'etc-work'));
    writeFileSync(join(dir, 'etc-upper', 'qemu', 'bridge.conf'), `# this test's LAN only\nallow ${LAN_BRIDGE}\nallow hgho0\nallow hgnat0\n`, { mode: 0o644 });
    inMountNs('mount', '-t', 'overlay', 'overlay', '-o', `lowerdir=/etc,upperdir=${join(dir, 'etc-upper')},workdir=${join(dir, 'etc-work')}`, '/etc');
    // The helper, setuid root as `chmod u+s` by an admin makes it, bound over Debian's.
    copyFileSync(HELPER, join(dir, 'qemu-bridge-helper'));
    chmodSync(join(dir, 'qemu-bridge-helper'), 0o4755);
    inMountNs('mount', '--bind', join(dir, 'qemu-bridge-helper'), HELPER);
    // /dev/net/tun as a Debian host has it (crw-rw-rw-): the helper opens it as the user, with CAP_NET_ADMIN only.
    execFileSync('mknod', ['-m', '666', join(dir, 'tun'), 'c', '10', '200']);
    inMountNs('mount', '--bind', join(dir, 'tun'), '/dev/net/tun');

    // The LAN: a bridge with the host's address, a router's DHCP, another machine behind a veth.
    for (const br of [LAN_BRIDGE, OTHER_BRIDGE]) ns.run('ip', 'link', 'add', 'name', br, 'type', 'bridge');
    ns.run('ip', 'addr', 'add', '192.168.78.1/24', 'dev', LAN_BRIDGE);
    for (const br of [LAN_BRIDGE, OTHER_BRIDGE]) ns.run('ip', 'link', 'set', 'dev', br, 'up');
    ns.run('ip', 'link', 'add', 'name', 'lanpeer0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', lanMachine.name);
    ns.run('ip', 'link', 'set', 'dev', 'lanpeer0', 'master', LAN_BRIDGE);
    ns.run('ip', 'link', 'set', 'dev', 'lanpeer0', 'up');
    lanMachine.run('ip', 'addr', 'add', `${LAN_MACHINE}/24`, 'dev', 'eth0');
    lanMachine.run('ip', 'link', 'set', 'dev', 'eth0', 'up');
    ns.run('dnsmasq', '--conf-file=/dev/null', '--port=0', '--user=root', `--interface=${LAN_BRIDGE}`, '--bind-interfaces', '--dhcp-range=192.168.78.100,192.168.78.150,255.255.255.0,1h', `--dhcp-leasefile=${join(dir, 'leases')}`, `--pid-file=${join(dir, 'router.pid')}`);

    await ok('network', 'create', 'lan', '--mode', 'bridged', '--bridge', LAN_BRIDGE);
    await ok('network', 'create', 'elsewhere', '--mode', 'bridged', '--bridge', OTHER_BRIDGE);
    const create = (name: string, network: string) => ok('create', '--name', name, '--disk', 'none', '--memory', '128', '--kernel', guest.kernel, '--initrd', guest.initrd, '--append', 'console=ttyS0 quiet', '--nic', `virtio,network=${network}`);
    await create('guest', 'lan');
    await create('denied', 'elsewhere');
    await ok('network', 'create', 'ho', '--mode', 'hostonly', '--subnet', '192.168.79.0/24', '--bridge', 'hgho0');
    await create('hovm', 'ho');
  });

  after(async () => {
    await h('shutdown', '--force').catch(() => undefined);
    await ns.destroy();
    await lanMachine.destroy();
    if (mounted) {
      for (const target of [mountNs, holder]) {
        try {
          execFileSync('umount', [target]);
        } catch {
          /* not mounted */
        }
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  test('the owner runs as nobody, without the privilege', async () => {
    assert.equal((await ok('network', 'list', '--json')).json.privileged, false);
    const ownerPid = (await ok('host', '--json')).json.ownerPid as number;
    assert.match(readFileSync(`/proc/${ownerPid}/status`, 'utf8'), new RegExp(`\\nUid:\\s+${NOBODY}\\s`));
  });

  test("a bridge the helper's list does not allow: the start is refused in one line, nothing made", async () => {
    const r = await h('start', 'denied');
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`network 'elsewhere' \\(bridged\\) needs a tap on bridge ${OTHER_BRIDGE}, .*CAP_NET_ADMIN.*; or by letting qemu-bridge-helper attach it, which cannot now: /etc/qemu/bridge.conf does not allow bridge ${OTHER_BRIDGE}`));
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.equal((await ok('show', 'denied', '--json')).json.state, 'stopped');
    assert.deepEqual(ports(OTHER_BRIDGE), []);
  });

  test("an allowed bridge: QEMU, as nobody and without the sandbox, gets its tap from the helper; the guest gets the LAN's DHCP", async () => {
    await ok('start', 'guest', '--wait-serial', 'TESTGUEST NET', '--timeout', BOOT_TIMEOUT_S);
    const [qemu] = ns.processes('qemu-system-x86_64');
    assert.ok(qemu, 'QEMU runs');
    assert.match(qemu.cmdline, new RegExp(`-netdev bridge,id=net0_netdev,br=${LAN_BRIDGE},helper=${HELPER} `));
    assert.ok(!qemu.cmdline.includes('-sandbox'), 'no seccomp sandbox: it would forbid the helper');
    assert.match(readFileSync(`/proc/${qemu.pid}/status`, 'utf8'), new RegExp(`\\nUid:\\s+${NOBODY}\\s`), 'QEMU runs as nobody');
    const taps = ports(LAN_BRIDGE).filter((p) => p !== 'lanpeer0');
    assert.equal(taps.length, 1, `the helper's tap on ${LAN_BRIDGE}: ${ports(LAN_BRIDGE).join(' ')}`);
    const m = /TESTGUEST NET (192\.168\.78\.\d+)/.exec((await ok('serial', 'guest')).stdout);
    assert.ok(m, "a lease from the LAN's router");
    guestAddress = m[1]!;
  });

  test('the guest and the other LAN machine reach each other', async () => {
    assert.equal(await sh.status('guest', `ping -c 1 -W 3 ${LAN_MACHINE}`), 0);
    assert.equal(lanMachine.try('busybox', 'ping', '-c', '1', '-W', '3', guestAddress).code, 0);
  });

  test('a card through the helper cannot be plugged into the running VM: one line, nothing changed', async () => {
    const r = await h('modify', 'guest', '--nic', 'virtio,network=lan', '--nic', 'virtio,network=lan');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /joins bridge lanbr0 through qemu-bridge-helper, which only a VM that is starting can use: stop VM 'guest' to add it/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.equal((await ok('show', 'guest', '--json')).json.nics.length, 1);
    assert.equal(ports(LAN_BRIDGE).length, 2);
  });

  test("stopped, the VM's tap goes with QEMU; the bridge stays", async () => {
    await ok('stop', 'guest', '--force');
    await waitUntil(`the tap to leave ${LAN_BRIDGE}`, () => (ports(LAN_BRIDGE).length === 1 ? true : undefined), 30_000);
    assert.deepEqual(ports(LAN_BRIDGE), ['lanpeer0']);
    assert.equal(ns.try('busybox', 'ping', '-c', '1', '-W', '3', LAN_MACHINE).code, 0);
  });

  test("a host-only network whose bridge is not made yet: refused in one line, naming the one-time step; nothing made", async () => {
    const r = await h('start', 'hovm');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /network 'ho' \(hostonly\) needs its bridge hgho0, taps, dnsmasq and nftables rules, which only a Hangar running with the CAP_NET_ADMIN capability can make: .*setpriv --ambient-caps .*; or by letting qemu-bridge-helper attach it, which cannot now: its bridge hgho0 is not made yet/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.equal((await ok('show', 'hovm', '--json')).json.state, 'stopped');
    assert.equal(ns.try('ip', 'link', 'show', 'dev', 'hgho0').code, 1, 'no bridge made');
  });

  test("made once by the user's Hangar granted the capabilities: its own tap, the sandbox kept; bridge and dnsmasq stay after it ends", async () => {
    await ok('shutdown');
    assert.equal((await privileged.ok('network', 'list', '--json')).json.privileged, true);
    await privileged.ok('start', 'hovm', '--wait-serial', 'TESTGUEST NET', '--timeout', BOOT_TIMEOUT_S);
    const [qemu] = ns.processes('qemu-system-x86_64');
    assert.match(qemu!.cmdline, /-netdev tap,id=net0_netdev,ifname=hgt/);
    assert.ok(qemu!.cmdline.includes('-sandbox'));
    await privileged.ok('stop', 'hovm', '--force');
    await waitUntil('its tap to go', () => (ports('hgho0').length === 0 ? true : undefined), 30_000);
    await privileged.ok('shutdown');
    assert.equal(ns.try('ip', 'link', 'show', 'dev', 'hgho0').code, 0, 'the bridge stays');
    assert.equal(ns.processes(`dnsmasq --conf-file=${home}`).length, 1, 'its dnsmasq runs on');
  });

  test('then the same user without the privilege: the helper attaches the card to that bridge; the reserved address, the host reaches the guest', async () => {
    assert.equal((await ok('network', 'list', '--json')).json.privileged, false);
    const reserved = (await ok('network', 'show', 'ho', '--json')).json.reservations[0].address as string;
    assert.match(reserved, /^192\.168\.79\.\d+$/);
    await ok('start', 'hovm', '--wait-serial', 'TESTGUEST NET', '--timeout', BOOT_TIMEOUT_S);
    const [qemu] = ns.processes('qemu-system-x86_64');
    assert.match(qemu!.cmdline, new RegExp(`-netdev bridge,id=net0_netdev,br=hgho0,helper=${HELPER} `));
    assert.match(readFileSync(`/proc/${qemu!.pid}/status`, 'utf8'), new RegExp(`\\nUid:\\s+${NOBODY}\\s`));
    assert.equal(ports('hgho0').length, 1, "the helper's tap");
    await waitUntil('the host to reach the guest at its reserved address', () => (ns.try('busybox', 'ping', '-c', '1', '-W', '2', reserved).code === 0 ? true : undefined), 60_000);
    assert.equal(await sh.status('hovm', 'ping -c 1 -W 3 192.168.79.1'), 0, 'the guest reaches the host');
    assert.deepEqual((await ok('show', 'hovm', '--json')).json.nics[0].ipAddresses, [reserved]);
  });

  test('a card with port forwards on a nat network: they would need nftables rules, so the helper cannot stand in; one line, nothing made', async () => {
    await ok('network', 'create', 'natted', '--mode', 'nat', '--subnet', '192.168.80.0/24', '--bridge', 'hgnat0');
    await ok('create', '--name', 'served', '--disk', 'none', '--memory', '128', '--kernel', guest.kernel, '--initrd', guest.initrd, '--nic', 'virtio,network=natted,forward=tcp:8080:80');
    const r = await h('start', 'served');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /network 'natted' \(nat\) needs .*; or by letting qemu-bridge-helper attach it, which cannot now: the port forwards of card net0 need nftables rules/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.equal((await ok('show', 'served', '--json')).json.state, 'stopped');
    assert.equal(ns.try('ip', 'link', 'show', 'dev', 'hgnat0').code, 1, 'no bridge made');
  });
});
