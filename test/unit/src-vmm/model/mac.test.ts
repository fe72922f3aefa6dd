import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HANGAR_MAC_PREFIX, isValidMac, randomMac } from '../../../../src-vmm/model/index.js';

describe('MAC addresses', () => {
  test('random MACs carry Hangar’s locally administered, unicast prefix', () => {
    assert.equal(HANGAR_MAC_PREFIX, '0a:48:47');
    const first = parseInt(HANGAR_MAC_PREFIX.slice(0, 2), 16);
    assert.equal(first & 0x02, 0x02, 'locally administered');
    assert.equal(first & 0x01, 0, 'unicast');
    let x = 0.123;
    const rand = () => (x = (x * 9301 + 0.49297) % 1);
    const macs = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const mac = randomMac(rand);
      assert.ok(mac.startsWith('0a:48:47:'));
      assert.ok(isValidMac(mac), mac);
      macs.add(mac);
    }
    assert.ok(macs.size > 190, 'the random bytes vary');
  });

  test('the bytes come from rand, and out-of-range values are clamped', () => {
    assert.equal(randomMac(() => 0), '0a:48:47:00:00:00');
    assert.equal(randomMac(() => 0.999999), '0a:48:47:ff:ff:ff');
    assert.equal(randomMac(() => 1), '0a:48:47:ff:ff:ff');
    assert.equal(randomMac(() => -1), '0a:48:47:00:00:00');
    const seq = [0.5, 0.25, 0.0625];
    assert.equal(randomMac(() => seq.shift()!), '0a:48:47:80:40:10');
  });

  test('isValidMac: lower-case, six bytes, unicast, not all zeros', () => {
    assert.ok(isValidMac('52:54:00:12:34:56'));
    assert.ok(isValidMac('0a:48:47:00:00:01'));
    for (const bad of ['52:54:00:12:34', '52:54:00:12:34:56:78', '52-54-00-12-34-56', '52:54:00:12:34:5G', '52:54:00:AB:CD:EF', '01:00:5e:00:00:01', 'ff:ff:ff:ff:ff:ff', '00:00:00:00:00:00', '']) {
      assert.ok(!isValidMac(bad), bad);
    }
  });
});
