import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { nftDeleteScript, nftReplaceScript, nftRuleset, nftTableName } from '../../../../src-main/networks/nftables.js';
import type { NetworkRecord } from '../../../../src-main/networks/model.js';

const net = (over: Partial<NetworkRecord>): NetworkRecord => ({ id: '3f6c1d2e-8a4b-4c5d-9e7f-0a1b2c3d4e5f', name: 'lab', mode: 'nat', subnet: '10.77.0.0/24', dhcp: true, bridge: 'hgbr0', mcast: null, createdAt: '', ...over });
const table = nftTableName('abcd1234', '3f6c1d2e-8a4b-4c5d-9e7f-0a1b2c3d4e5f');

describe('nftables for a network', () => {
  test('one table per network, named after the home and the network', () => {
    assert.equal(table, 'hangar_abcd1234_3f6c1d2e8a4b');
    assert.notEqual(nftTableName('other000', '3f6c1d2e-8a4b-4c5d-9e7f-0a1b2c3d4e5f'), table);
  });

  test('nat: masquerade out of the subnet, forwards from loopback through output only, from elsewhere through prerouting too', () => {
    const r = nftRuleset(net({}), table, [
      { protocol: 'tcp', hostAddress: '127.0.0.1', hostPort: 8080, guestAddress: '10.77.0.2', guestPort: 80 },
      { protocol: 'udp', hostAddress: '0.0.0.0', hostPort: 5353, guestAddress: '10.77.0.3', guestPort: 53 },
    ])!;
    assert.match(r, /ip saddr 10\.77\.0\.0\/24 ip daddr != 10\.77\.0\.0\/24 masquerade/);
    assert.match(r, /oifname "hgbr0" ip saddr 127\.0\.0\.0\/8 masquerade/);
    const pre = r.slice(r.indexOf('chain prerouting'), r.indexOf('chain output'));
    const out = r.slice(r.indexOf('chain output'));
    assert.ok(!pre.includes('127.0.0.1'), 'loopback never reaches prerouting');
    assert.match(pre, /fib daddr type local udp dport 5353 dnat ip to 10\.77\.0\.3:53/);
    assert.match(out, /ip daddr 127\.0\.0\.1 tcp dport 8080 dnat ip to 10\.77\.0\.2:80/);
    assert.match(r, /oifname "hgbr0" ct status dnat accept/);
  });

  test('host-only: nothing routed to or from the bridge; internal: the host fenced off but for DHCP', () => {
    const ho = nftRuleset(net({ mode: 'hostonly' }), table, [])!;
    assert.ok(!ho.includes('masquerade') && !ho.includes('chain input'));
    assert.match(ho, /iifname "hgbr0" oifname "hgbr0" accept\n\s+iifname "hgbr0" drop\n\s+oifname "hgbr0" drop/);
    const internal = nftRuleset(net({ mode: 'internal', subnet: null, dhcp: false }), table, [])!;
    assert.match(internal, /chain input \{[^}]*iifname "hgbr0" drop/);
    assert.match(internal, /chain output \{[^}]*oifname "hgbr0" drop/);
    assert.ok(!internal.includes('dport 67'));
    const withDhcp = nftRuleset(net({ mode: 'internal', dhcp: true }), table, [])!;
    assert.match(withDhcp, /iifname "hgbr0" udp dport 67 accept\n\s+iifname "hgbr0" drop/);
    assert.match(withDhcp, /oifname "hgbr0" udp sport 67 accept\n\s+oifname "hgbr0" drop/);
    assert.equal(nftRuleset(net({ mode: 'bridged', subnet: null }), table, []), null, "a bridged network's LAN is not Hangar's to police");
  });

  test('the table is replaced in one go, whether it existed or not', () => {
    const s = nftReplaceScript(table, 'table inet x {}\n');
    assert.equal(s, `table inet ${table}\ndelete table inet ${table}\ntable inet x {}\n`);
    assert.equal(nftDeleteScript(table), `table inet ${table}\ndelete table inet ${table}\n`);
  });
});
