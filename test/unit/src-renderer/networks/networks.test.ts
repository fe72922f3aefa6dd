import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { NetworkCreateInput } from '../../../../src-main/api/contract.js';
import { deleteRefusal, initialNetworkDraft, placeNetworkError, toNetworkCreateInput, validateNetworkDraft, withMode } from '../../../../src-renderer/networks/networks.js';
import { NETWORK_IN_USE } from '../../../../src-main/api/issueCodes.js';

describe('the Networks dialog', () => {
  test('a draft is checked with the owner\'s rules', () => {
    const d = { ...initialNetworkDraft(), name: 'lab' };
    assert.deepEqual(validateNetworkDraft(d, []), []);
    assert.deepEqual(validateNetworkDraft({ ...d, name: 'a b' }, []).map((i) => i.field), ['name']);
    assert.deepEqual(validateNetworkDraft(d, ['LAB']).map((i) => i.message), ["a network named 'lab' already exists"]);
    assert.match(validateNetworkDraft({ ...d, subnet: '8.8.8.0/24' }, [])[0]!.message, /not private/);
    assert.match(validateNetworkDraft({ ...d, subnet: '10.0.0.1/24' }, [])[0]!.message, /host bits set/);
    assert.deepEqual(validateNetworkDraft(withMode(d, 'bridged'), []).map((i) => [i.field, i.message]), [['bridge', 'a bridged network needs the host bridge it joins']]);
    assert.match(validateNetworkDraft({ ...d, bridge: 'br;0' }, [])[0]!.message, /1 to 15 letters/);
  });

  test('the mode sets what DHCP defaults to; the input is what the API takes', () => {
    assert.equal(withMode(initialNetworkDraft(), 'internal').dhcp, false);
    assert.equal(withMode(withMode(initialNetworkDraft(), 'internal'), 'hostonly').dhcp, true);
    const input = toNetworkCreateInput({ ...initialNetworkDraft(), name: 'lab', subnet: ' 10.9.0.0/24 ' });
    assert.deepEqual(input, { name: 'lab', mode: 'nat', subnet: '10.9.0.0/24', dhcp: true });
    assert.ok(NetworkCreateInput.safeParse(input).success);
    const bridged = toNetworkCreateInput({ ...withMode(initialNetworkDraft(), 'bridged'), name: 'lan', bridge: 'br0' });
    assert.deepEqual(bridged, { name: 'lan', mode: 'bridged', bridge: 'br0' });
  });

  test('refusals land on their fields; a delete refused names the VMs in the interface\'s words', () => {
    const placed = placeNetworkError({ message: 'x', details: { issues: [{ path: 'subnet', message: "subnet 10.77.0.0/16 overlaps network 'lab'" }] } });
    assert.deepEqual(placed.fields, [{ field: 'subnet', message: "subnet 10.77.0.0/16 overlaps network 'lab'" }]);
    const refusal = deleteRefusal({ message: "network 'lab' is in use by VMs 'web', 'db'", details: { issues: [{ path: '', message: 'in use', code: NETWORK_IN_USE, data: { network: 'lab', vms: ['web', 'db'] } }] } });
    assert.equal(refusal, 'Network “lab” is in use by the VMs “web”, “db”. Move their cards to another network (Settings → Network) first.');
    assert.equal(deleteRefusal({ message: 'something else' }), 'something else');
  });
});
