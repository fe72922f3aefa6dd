import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { hostnameFor, networkNameProblems, pickMcast, planNetwork, type HostNetworkFacts, type NetworkCreateInput, type NetworkRecord } from '../../../../src-main/networks/model.js';
import { NETWORK_BRIDGE_MISSING, NETWORK_SUBNET_OVERLAP } from '../../../../src-main/api/issueCodes.js';

const host: HostNetworkFacts = {
  subnets: [
    { iface: 'lo', cidr: '127.0.0.1/8' },
    { iface: 'eth0', cidr: '192.168.1.20/24' },
    { iface: 'wg0', cidr: '10.77.0.0/24' },
  ],
  links: [
    { name: 'lo', bridge: false },
    { name: 'eth0', bridge: false },
    { name: 'br0', bridge: true },
    { name: 'hgbr0', bridge: false },
  ],
};
const lab: NetworkRecord = { id: 'a1', name: 'lab', mode: 'nat', subnet: '10.80.0.0/24', dhcp: true, bridge: 'hgbr1', mcast: null, createdAt: '' };
const plan = (input: NetworkCreateInput, networks: NetworkRecord[] = [lab]) => planNetwork(input, { networks, host, rand: () => 0.5 });
const issues = (input: NetworkCreateInput) => {
  const r = plan(input);
  assert.ok(!r.ok, JSON.stringify(input));
  return r.issues;
};

describe('network rules', () => {
  test('names: letters, digits and . _ -, at most 32, starting with a letter or digit', () => {
    assert.deepEqual(networkNameProblems('lab-1.a_b'), []);
    assert.deepEqual(networkNameProblems(''), ['network name must not be empty']);
    for (const bad of ['a b', 'lab/1', '-lab', 'ünï', 'x'.repeat(33), 'a;rm', "it's"]) assert.equal(networkNameProblems(bad).length, 1, bad);
  });

  test('a nat network without a subnet gets a free /24 around the host and other networks, DHCP on, bridge hgbrN', () => {
    const r = plan({ name: 'n', mode: 'nat' });
    assert.ok(r.ok);
    // 10.77.0.0/24 is the host's (wg0), hgbr0 an interface of the host, hgbr1 lab's.
    assert.deepEqual(r.value, { name: 'n', mode: 'nat', subnet: '10.77.1.0/24', dhcp: true, bridge: 'hgbr2', mcast: null });
  });

  test('subnets: private, not overlapping another network or the host, each problem at its field', () => {
    assert.deepEqual(issues({ name: 'n', mode: 'nat', subnet: '8.8.8.0/24' }).map((i) => [i.path, i.message]), [['subnet', 'subnet 8.8.8.0/24 is not private: use one inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16']]);
    const other = issues({ name: 'n', mode: 'hostonly', subnet: '10.80.0.0/16' })[0]!;
    assert.equal(other.code, NETWORK_SUBNET_OVERLAP);
    assert.match(other.message, /overlaps network 'lab' \(10\.80\.0\.0\/24\)/);
    assert.match(issues({ name: 'n', mode: 'nat', subnet: '192.168.1.0/24' })[0]!.message, /overlaps 192\.168\.1\.0\/24 of this host's interface eth0/);
    assert.match(issues({ name: 'n', mode: 'nat', subnet: '10.80.0.5/24' })[0]!.message, /host bits set/);
    const both = issues({ name: 'bad name', mode: 'nat', subnet: 'x' });
    assert.deepEqual(both.map((i) => i.path), ['name', 'subnet']);
  });

  test('internal: DHCP off by default and then no subnet; a multicast group for running without privileges', () => {
    const r = plan({ name: 'i', mode: 'internal' });
    assert.ok(r.ok);
    assert.equal(r.value.subnet, null);
    assert.equal(r.value.dhcp, false);
    assert.match(r.value.mcast ?? '', /^239\.255\.\d+\.\d+:\d+$/);
    const d = plan({ name: 'i', mode: 'internal', dhcp: true });
    assert.ok(d.ok && d.value.subnet === '10.77.1.0/24', 'with DHCP it gets a subnet');
  });

  test('bridged: needs an existing host bridge, and has neither subnet nor DHCP of its own', () => {
    const r = plan({ name: 'lan', mode: 'bridged', bridge: 'br0' });
    assert.ok(r.ok);
    assert.deepEqual(r.value, { name: 'lan', mode: 'bridged', subnet: null, dhcp: false, bridge: 'br0', mcast: null });
    const missing = issues({ name: 'lan', mode: 'bridged' })[0]!;
    assert.equal(missing.code, NETWORK_BRIDGE_MISSING);
    assert.deepEqual(missing.data, { bridges: ['br0'] });
    assert.match(issues({ name: 'lan', mode: 'bridged', bridge: 'br9' })[0]!.message, /there is no bridge 'br9' on this host/);
    assert.match(issues({ name: 'lan', mode: 'bridged', bridge: 'eth0' })[0]!.message, /not a bridge/);
    assert.deepEqual(issues({ name: 'lan', mode: 'bridged', bridge: 'br0', subnet: '10.9.0.0/24', dhcp: true }).map((i) => i.path), ['subnet', 'dhcp']);
  });

  test('a bridge Hangar makes must have a free, plain interface name', () => {
    assert.match(issues({ name: 'n', mode: 'nat', bridge: 'br0' })[0]!.message, /exists already on this host/);
    assert.match(issues({ name: 'n', mode: 'nat', bridge: 'hgbr1' })[0]!.message, /belongs to another network/);
    assert.match(issues({ name: 'n', mode: 'nat', bridge: 'a-very-long-bridge-name' })[0]!.message, /1 to 15 letters/);
    assert.match(issues({ name: 'n', mode: 'nat', bridge: 'br;x' })[0]!.message, /1 to 15 letters/);
  });

  test('multicast groups differ from the ones taken, port included', () => {
    let i = 0;
    const seq = [0.1, 0.1, 0.1, 0.1, 0.9, 0.9, 0.9];
    const a = pickMcast(new Set(), () => 0.1);
    const b = pickMcast(new Set([a]), () => seq[i++ % seq.length]!);
    assert.notEqual(a.split(':')[1], b.split(':')[1]);
  });

  test('DNS labels from VM names: lower case, letters, digits and -, unique on the network', () => {
    assert.equal(hostnameFor('Web Server', new Set()), 'web-server');
    assert.equal(hostnameFor('db', new Set(['db'])), 'db-2');
    assert.equal(hostnameFor('db', new Set(['db', 'db-2'])), 'db-3');
    assert.equal(hostnameFor('Dev "box" — ünïcode\'s', new Set()), 'dev-box-unicode-s');
    assert.equal(hostnameFor('——', new Set()), 'vm');
    assert.equal(hostnameFor('x'.repeat(100), new Set()).length, 63);
    assert.ok(hostnameFor('x'.repeat(100), new Set(['x'.repeat(63)])).endsWith('-2'));
  });
});
