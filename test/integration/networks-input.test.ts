// Bad input for networks and cards (issue 17), through the CLI, in a network namespace of the test's
// own: each is refused in one line with exit status 2 (a network in use: 1, as any conflict), and
// nothing changes: not the inventory, not the host's interfaces. No guest boots here.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliResult } from '../helpers/cli.node.js';
import { TestNetns } from '../helpers/netns.node.js';
import { createClient } from '../../src-vmm/base/rpc.js';
import { connectUnix } from '../../src-vmm/base/socketTransport.node.js';
import { hangarApi } from '../../src-main/api/contract.js';
import { homePaths } from '../../src-main/home.js';

describe('networks: bad input gets one line and changes nothing', () => {
  const ns = TestNetns.create('hgbad');
  const home = mkdtempSync(join(tmpdir(), 'hangar-netbad-'));
  const { h, ok } = ns.cli(home);
  const links = () => ns.run('ip', '-br', 'link');
  const snapshot = async () => ({
    networks: (await ok('network', 'list', '--json')).json,
    vms: (await ok('list', '--json')).json,
    nics: (await ok('show', 'eight', '--json')).json.nics.length as number,
    links: links(),
  });
  const refused = (r: CliResult, code: number, message: RegExp) => {
    assert.equal(r.code, code, `exit ${r.code}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
  };

  before(async () => {
    ns.run('ip', 'link', 'add', 'br0', 'type', 'bridge');
    ns.run('ip', 'link', 'add', 'veth0', 'type', 'veth', 'peer', 'name', 'veth1');
    ns.run('ip', 'addr', 'add', '192.168.7.1/24', 'dev', 'veth0');
    await ok('network', 'create', 'lab', '--mode', 'nat', '--subnet', '10.77.0.0/24');
    await ok('network', 'create', 'ho', '--mode', 'hostonly');
    await ok('create', '--name', 'eight', '--disk', 'none', ...Array.from({ length: 8 }, (_, i) => ['--nic', i === 0 ? 'virtio,network=lab' : 'virtio']).flat());
  });
  after(async () => {
    await h('shutdown', '--force').catch(() => undefined);
    await ns.destroy();
    rmSync(home, { recursive: true, force: true });
  });

  test('overlapping subnets, a subnet that is not private, odd names, a missing bridge, a ninth card, a network in use', async () => {
    const before = await snapshot();
    refused(await h('network', 'create', 'wide', '--mode', 'nat', '--subnet', '10.77.0.0/16'), 2, /subnet 10\.77\.0\.0\/16 overlaps network 'lab' \(10\.77\.0\.0\/24\)/);
    refused(await h('network', 'create', 'mine', '--mode', 'hostonly', '--subnet', '192.168.7.0/24'), 2, /overlaps 192\.168\.7\.0\/24 of this host's interface veth0/);
    refused(await h('network', 'create', 'pub', '--mode', 'nat', '--subnet', '8.8.8.0/24'), 2, /subnet 8\.8\.8\.0\/24 is not private/);
    refused(await h('network', 'create', 'hosty', '--mode', 'nat', '--subnet', '10.1.2.3/24'), 2, /host bits set: the subnet is 10\.1\.2\.0\/24/);
    for (const name of ['lab;rm -rf', 'a b', '-lab', 'ünï', 'x'.repeat(40)]) refused(await h('network', 'create', name, '--mode', 'internal'), 2, /network name must be 1 to 32 letters, digits/);
    refused(await h('network', 'create', 'lan', '--mode', 'bridged'), 2, /a bridged network needs the host bridge it joins: name one of this host's bridges with --bridge: br0/);
    refused(await h('network', 'create', 'lan', '--mode', 'bridged', '--bridge', 'br9'), 2, /there is no bridge 'br9' on this host/);
    refused(await h('network', 'create', 'lan', '--mode', 'bridged', '--bridge', 'veth0'), 2, /'veth0' is an interface of this host but not a bridge/);
    refused(await h('network', 'create', 'lan', '--mode', 'bridged', '--bridge', 'br0', '--subnet', '10.5.0.0/24'), 2, /a bridged network takes its addresses from the LAN/);
    refused(await h('network', 'create', 'x', '--mode', 'nat', '--bridge', 'br0'), 2, /an interface named 'br0' exists already on this host/);
    refused(await h('network', 'create', 'x', '--mode', 'sideways'), 2, /--mode takes nat, hostonly, internal or bridged/);
    refused(await h('network', 'create', 'LAB', '--mode', 'nat'), 1, /a network named 'lab' already exists/);
    refused(await h('create', '--name', 'nine', '--disk', 'none', ...Array.from({ length: 9 }, () => ['--nic', 'virtio']).flat()), 2, /at most 8 network cards/);
    refused(await h('modify', 'eight', '--nic', 'virtio,network=lab', '--nic', 'virtio', '--nic', 'virtio', '--nic', 'virtio', '--nic', 'virtio', '--nic', 'virtio', '--nic', 'virtio', '--nic', 'virtio', '--nic', 'e1000'), 2, /at most 8 network cards/);
    refused(await h('network', 'delete', 'lab'), 1, /network 'lab' is in use by VM 'eight': remove their cards with 'hangar modify VM --nic-remove NIC' first/);
    refused(await h('create', '--name', 'fw', '--disk', 'none', '--nic', 'virtio,network=ho', '--forward', 'tcp:8080:80'), 2, /port forwards need NAT: network 'ho' is hostonly/);
    refused(await h('create', '--name', 'nn', '--disk', 'none', '--nic', 'virtio,network=nowhere'), 2, /no network named or with id 'nowhere': see 'hangar network list'/);
    refused(await h('create', '--name', 'nn', '--disk', 'none', '--nic', 'virtio,netwrk=lab'), 2, /unknown option 'netwrk'/);
    refused(await h('create', '--name', 'nn', '--disk', 'none', '--nic', 'none', '--nic', 'virtio'), 2, /--nic none means no network cards/);
    refused(await h('modify', 'eight', '--nic-remove', 'net9'), 2, /VM 'eight' has no network card 'net9'/);
    refused(await h('modify', 'eight', '--nic-link', 'net1', 'sideways'), 2, /--nic-link net1 takes up or down/);
    refused(await h('network', 'show', 'nowhere'), 1, /no network named or with id 'nowhere'/);
    assert.deepEqual(await snapshot(), before, 'nothing changed: networks, VMs, cards, the host');
  });

  test('what is fine: a bridged network on a host bridge; cards on networks with their own MACs; a network deleted once unused', async () => {
    const lan = (await ok('network', 'create', 'lan', '--mode', 'bridged', '--bridge', 'br0', '--json')).json;
    assert.deepEqual([lan.mode, lan.bridge, lan.subnet, lan.dhcp], ['bridged', 'br0', null, false]);
    const vm = (await ok('create', '--name', 'two', '--disk', 'none', '--nic', 'virtio,network=lan,mac=0a:48:47:aa:bb:01', '--nic', 'e1000,network=ho', '--json')).json;
    assert.deepEqual(vm.nics.map((n: { model: string; network: string; mac: string; linkUp: boolean; ipAddresses: string[] }) => [n.model, n.network, n.linkUp, n.ipAddresses]), [
      ['virtio', 'lan', true, []],
      ['e1000', 'ho', true, []],
    ]);
    assert.equal(vm.nics[0].mac, '0a:48:47:aa:bb:01');
    refused(await h('create', '--name', 'three', '--disk', 'none', '--nic', 'virtio,mac=0a:48:47:aa:bb:01'), 2, /MAC address 0a:48:47:aa:bb:01 is used by another VM/);
    const list = (await ok('network', 'list', '--json')).json.networks as { name: string; vms: string[] }[];
    assert.deepEqual(list.map((n) => [n.name, n.vms]), [['lab', ['eight']], ['ho', ['two']], ['lan', ['two']]]);
    // Stopped VMs change cards freely: a card moves to user-mode NAT, another is unplugged.
    await ok('modify', 'two', '--nic', 'virtio', '--nic-remove', 'net1');
    assert.deepEqual((await ok('show', 'two', '--json')).json.nics.map((n: { network: string | null }) => n.network), [null]);
    await ok('network', 'delete', 'ho');
    await ok('network', 'delete', 'lan');
    assert.match(links(), /br0/, "the host's own bridge is never Hangar's to delete");
  });

  test('clones keep their networks with new MACs; export names each card\'s network; import maps it back (same name, none, or a network it creates)', async () => {
    await ok('network', 'create', 'office', '--mode', 'hostonly');
    const vm = (await ok('create', '--name', 'exp', '--disk', '16M', '--nic', 'virtio,network=office', '--nic', 'e1000', '--json')).json;
    const clone = (await ok('clone', 'exp', '--name', 'exp-clone', '--json')).json;
    assert.deepEqual(clone.nics.map((n: { network: string | null }) => n.network), ['office', null], 'the same networks');
    for (const [i, n] of clone.nics.entries()) assert.notEqual(n.mac, vm.nics[i].mac, 'a new MAC');
    assert.deepEqual((await ok('network', 'show', 'office', '--json')).json.vms, ['exp', 'exp-clone']);

    const ova = join(home, 'exp.ova');
    await ok('export', 'exp', '-o', ova);
    const dry = (await ok('import', ova, '--dry-run', '--json')).json;
    assert.deepEqual(dry.machines[0].nics.map((n: { sourceNetwork: string; network: string | null }) => [n.sourceNetwork, n.network]), [['office', 'office'], ['NAT', null]]);
    const same = (await ok('import', ova, '--name', 'imported', '--json')).json;
    assert.deepEqual((await ok('show', same.machines[0].id, '--json')).json.nics.map((n: { network: string | null }) => n.network), ['office', null]);
    const none = (await ok('import', ova, '--name', 'imported-nat', '--network', 'office=none', '--json')).json;
    assert.deepEqual((await ok('show', none.machines[0].id, '--json')).json.nics.map((n: { network: string | null }) => n.network), [null, null]);
    refused(await h('import', ova, '--name', 'x', '--network', 'elsewhere=office'), 2, /--network: the appliance has no network named 'elsewhere' \(it names 'office', 'NAT'\)/);
    refused(await h('import', ova, '--name', 'x', '--network', 'office=nowhere'), 2, /no network named or with id 'nowhere' for the appliance's network 'office'/);

    // What the import dialog does: a network made by the import itself.
    const client = createClient(await connectUnix(homePaths(home).ownerSocket), hangarApi);
    try {
      const review = await client.call('appliance.review', { path: ova });
      assert.deepEqual(review.networks, [
        { source: 'office', cards: 1, suggested: { kind: 'network', network: 'office' } },
        { source: 'NAT', cards: 1, suggested: { kind: 'nat' } },
      ]);
      const r = await client.call('appliance.import', { path: ova, machines: [{ name: 'imported-new' }], networks: [{ source: 'office', target: { kind: 'create', name: 'office-2', mode: 'internal' } }] });
      assert.deepEqual(r.vms[0]!.nics.map((n) => n.network), ['office-2', null]);
      const made = await client.call('network.show', { ref: 'office-2' });
      assert.deepEqual([made.mode, made.vms], ['internal', ['imported-new']]);
    } finally {
      client.dispose();
    }
  });
});
