import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { hasNetAdmin, homeTag, networkAlias, parseAlias, parseIpAddrs, parseIpLinks, parseIpRoutes, tapAlias, tapName } from '../../../../src-main/networks/hostState.js';

describe("the host's network as ip -j shows it", () => {
  test('links with their kind, alias, master and state', () => {
    const json = JSON.stringify([
      { ifindex: 1, ifname: 'lo', flags: ['LOOPBACK', 'UP', 'LOWER_UP'] },
      { ifindex: 7, ifname: 'hgbr0', flags: ['BROADCAST', 'UP'], ifalias: 'hangar abcd1234 network n1', linkinfo: { info_kind: 'bridge' } },
      { ifindex: 8, ifname: 'hgt0123', flags: ['BROADCAST'], master: 'hgbr0', linkinfo: { info_kind: 'tun' } },
    ]);
    assert.deepEqual(parseIpLinks(json), [
      { name: 'lo', kind: null, alias: null, master: null, up: true },
      { name: 'hgbr0', kind: 'bridge', alias: 'hangar abcd1234 network n1', master: null, up: true },
      { name: 'hgt0123', kind: 'tun', alias: null, master: 'hgbr0', up: false },
    ]);
    assert.deepEqual(parseIpLinks(''), []);
  });

  test('subnets from addresses and routes (not the default route)', () => {
    const addrs = JSON.stringify([{ ifname: 'eth0', addr_info: [{ family: 'inet', local: '192.168.1.20', prefixlen: 24 }, { family: 'inet6', local: 'fe80::1', prefixlen: 64 }] }]);
    assert.deepEqual(parseIpAddrs(addrs), [{ iface: 'eth0', cidr: '192.168.1.20/24' }]);
    const routes = JSON.stringify([{ dst: 'default', gateway: '192.168.1.1', dev: 'eth0' }, { dst: '10.8.0.0/16', dev: 'wg0' }]);
    assert.deepEqual(parseIpRoutes(routes), [{ iface: 'wg0', cidr: '10.8.0.0/16' }]);
  });

  test('CAP_NET_ADMIN is read from CapEff', () => {
    assert.equal(hasNetAdmin('Name:\tnode\nCapEff:\t000001fffeffffff\n'), true);
    assert.equal(hasNetAdmin('CapEff:\t000001fffeffefff\n'), false, 'bit 12 cleared (setpriv --bounding-set=-net_admin)');
    assert.equal(hasNetAdmin('CapEff:\t0000000000000000\n'), false);
    assert.equal(hasNetAdmin('nothing here'), false);
  });

  test("taps: 15 characters, stable, different per home, VM and card; aliases name their owner", () => {
    const t = tapName(homeTag('/home/a/.local/share/hangar'), 'vm-1', 'net0');
    assert.match(t, /^hgt[0-9a-f]{12}$/);
    assert.equal(t, tapName(homeTag('/home/a/.local/share/hangar'), 'vm-1', 'net0'));
    const names = new Set<string>();
    for (const home of ['/a', '/b']) for (const vm of ['v1', 'v2', 'v3']) for (const nic of ['net0', 'net1', 'net7']) names.add(tapName(homeTag(home), vm, nic));
    assert.equal(names.size, 18);
    assert.deepEqual(parseAlias(networkAlias('abcd1234', 'n1')), { home: 'abcd1234', kind: 'network', networkId: 'n1' });
    assert.deepEqual(parseAlias(tapAlias('abcd1234', 'v1', 'net0')), { home: 'abcd1234', kind: 'tap', vmId: 'v1', nicId: 'net0' });
    assert.equal(parseAlias('my own bridge'), null);
    assert.equal(parseAlias(null), null);
  });
});
