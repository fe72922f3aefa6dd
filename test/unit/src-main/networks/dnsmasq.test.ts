import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dhcpHostsFile, dnsHostsFile, dnsmasqConfig, leasedAddresses, needsDnsmasq, parseLeases, type DnsmasqFiles } from '../../../../src-main/networks/dnsmasq.js';
import type { NetworkRecord } from '../../../../src-main/networks/model.js';

const files: DnsmasqFiles = { conf: '/h/n/dnsmasq.conf', dhcpHosts: '/h/n/dhcp-hosts', dnsHosts: '/h/n/dns-hosts', leases: '/h/n/leases', pid: '/h/n/dnsmasq.pid', log: '/h/n/dnsmasq.log' };
const net = (over: Partial<NetworkRecord>): NetworkRecord => ({ id: 'id', name: 'lab', mode: 'nat', subnet: '10.77.0.0/24', dhcp: true, bridge: 'hgbr0', mcast: null, createdAt: '', ...over });
const lines = (text: string) => text.split('\n');

describe('dnsmasq for a network', () => {
  test('binds to its bridge only, never loopback, and reads no host files', () => {
    const c = lines(dnsmasqConfig(net({}), files, 'alice'));
    for (const l of ['interface=hgbr0', 'except-interface=lo', 'bind-interfaces', 'listen-address=10.77.0.1', 'no-hosts', 'addn-hosts=/h/n/dns-hosts', 'pid-file=/h/n/dnsmasq.pid', 'user=alice']) assert.ok(c.includes(l), l);
    assert.ok(c.includes('dhcp-range=10.77.0.128,10.77.0.254,255.255.255.0,1h'));
    assert.ok(c.includes('dhcp-hostsfile=/h/n/dhcp-hosts'));
  });

  test('nat forwards DNS upstream and gives a router; host-only gives no route out; internal no DNS and no route', () => {
    const nat = lines(dnsmasqConfig(net({}), files, 'u'));
    assert.ok(!nat.includes('no-resolv'));
    assert.ok(!nat.some((l) => l.startsWith('dhcp-option=option:router')), 'the default router (the gateway) stays');
    const ho = lines(dnsmasqConfig(net({ mode: 'hostonly' }), files, 'u'));
    assert.ok(ho.includes('no-resolv') && ho.includes('dhcp-option=option:router'));
    const internal = lines(dnsmasqConfig(net({ mode: 'internal' }), files, 'u'));
    assert.ok(internal.includes('port=0') && internal.includes('dhcp-option=option:router') && internal.includes('dhcp-option=option:dns-server'));
  });

  test('who needs one: networks with a subnet that serve DHCP or names', () => {
    assert.ok(needsDnsmasq(net({})));
    assert.ok(needsDnsmasq(net({ mode: 'hostonly', dhcp: false })), 'names still');
    assert.ok(!needsDnsmasq(net({ mode: 'internal', dhcp: false, subnet: null })));
    assert.ok(!needsDnsmasq(net({ mode: 'bridged', subnet: null, dhcp: false })));
    assert.throws(() => dnsmasqConfig(net({ subnet: null }), files, 'u'), /no usable subnet/);
  });

  test('reservations: MAC, address and name for DHCP; address and name for DNS', () => {
    const rs = [
      { mac: '0a:48:47:00:00:01', address: '10.77.0.2', hostname: 'web' },
      { mac: '0a:48:47:00:00:02', address: '10.77.0.3', hostname: null },
    ];
    assert.equal(dhcpHostsFile(rs), '0a:48:47:00:00:01,10.77.0.2,web\n0a:48:47:00:00:02,10.77.0.3\n');
    assert.equal(dnsHostsFile(rs), '10.77.0.2 web\n');
  });

  test('leases are read back, expired ones and garbage left out', () => {
    const text = ['1796548884 0a:48:47:00:00:01 10.77.0.2 web 01:0a:48:47:00:00:01', '1000 0a:48:47:00:00:01 10.77.0.9 web *', '0 0A:48:47:00:00:02 10.77.0.3 * *', 'garbage line', ''].join('\n');
    const leases = parseLeases(text);
    assert.equal(leases.length, 3);
    assert.deepEqual(leasedAddresses(leases, '0a:48:47:00:00:01', 2000), ['10.77.0.2']);
    assert.deepEqual(leasedAddresses(leases, '0a:48:47:00:00:02', 2000), ['10.77.0.3'], 'expiry 0 is infinite; MACs compare without case');
    assert.deepEqual(leasedAddresses(leases, '0a:48:47:00:00:01', 1796548885), []);
  });
});
