import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { addressPlan, formatCidr, isPrivate, nextReservation, overlaps, parseSubnet, pickFreeSubnet, type Cidr } from '../../../../src-main/networks/ipv4.js';

const cidr = (s: string): Cidr => {
  const r = parseSubnet(s);
  assert.ok(r.ok, s);
  return r.cidr;
};

describe('IPv4 subnets', () => {
  test('parses network addresses with a usable prefix, and says what is wrong otherwise', () => {
    assert.equal(formatCidr(cidr('10.77.0.0/24')), '10.77.0.0/24');
    assert.equal(formatCidr(cidr('192.168.56.0/28')), '192.168.56.0/28');
    const problem = (s: string) => {
      const r = parseSubnet(s);
      assert.ok(!r.ok, s);
      return r.problem;
    };
    assert.match(problem('10.77.0.1/24'), /host bits set: the subnet is 10\.77\.0\.0\/24/);
    assert.match(problem('10.77.0.0/8'), /prefix length from \/16 to \/28/);
    assert.match(problem('10.77.0.0/30'), /prefix length/);
    assert.match(problem('10.77.0.0'), /not an IPv4 subnet/);
    assert.match(problem('10.777.0.0/24'), /not an IPv4 subnet/);
    assert.match(problem('lab'), /not an IPv4 subnet/);
  });

  test('only RFC 1918 ranges are private', () => {
    assert.ok(isPrivate(cidr('10.1.0.0/16')));
    assert.ok(isPrivate(cidr('172.31.255.0/24')));
    assert.ok(isPrivate(cidr('192.168.0.0/16')));
    assert.ok(!isPrivate(cidr('172.32.0.0/24')));
    assert.ok(!isPrivate(cidr('8.8.8.0/24')));
    assert.ok(!isPrivate(cidr('192.169.0.0/24')));
  });

  test('overlaps in either direction', () => {
    assert.ok(overlaps(cidr('10.77.0.0/16'), cidr('10.77.5.0/24')));
    assert.ok(overlaps(cidr('10.77.5.0/24'), cidr('10.77.0.0/16')));
    assert.ok(!overlaps(cidr('10.77.0.0/24'), cidr('10.77.1.0/24')));
  });

  test('the address plan: gateway first, reservations up to the middle, the upper half for DHCP', () => {
    const p = addressPlan(cidr('10.77.0.0/24'));
    assert.deepEqual([p.gateway, p.netmask, p.broadcast, p.pool.first, p.pool.last], ['10.77.0.1', '255.255.255.0', '10.77.0.255', '10.77.0.128', '10.77.0.254']);
    const small = cidr('192.168.9.16/28');
    assert.equal(nextReservation(small, new Set()), '192.168.9.18');
    const full = new Set(['192.168.9.18', '192.168.9.19', '192.168.9.20', '192.168.9.21', '192.168.9.22', '192.168.9.23']);
    assert.equal(nextReservation(small, full), undefined, 'the reserved half of a /28 holds six');
    assert.equal(nextReservation(small, new Set(['192.168.9.18'])), '192.168.9.19');
  });

  test('a free /24 is picked around what is taken', () => {
    assert.equal(formatCidr(pickFreeSubnet([])!), '10.77.0.0/24');
    assert.equal(formatCidr(pickFreeSubnet([cidr('10.77.0.0/24'), cidr('10.77.1.0/24')])!), '10.77.2.0/24');
    assert.equal(formatCidr(pickFreeSubnet([{ base: (10 << 24) >>> 0 | (77 << 16), prefix: 16 }])!), '10.78.0.0/24');
  });
});
