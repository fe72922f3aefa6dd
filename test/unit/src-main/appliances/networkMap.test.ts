import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeTarget, resolveMappings, sourceNetworks, suggestTarget } from '../../../../src-main/appliances/networkMap.js';

const nic = (network: string) => ({ model: 'e1000' as const, sourceModel: 'E1000', mac: null, network });

describe("an appliance's networks mapped to Hangar's", () => {
  test('a Hangar network of the same name (any case) is suggested; anything else, NAT included, goes to user-mode NAT', () => {
    const networks = [{ name: 'lab' }, { name: 'VM Network' }];
    assert.deepEqual(suggestTarget('LAB', networks), { kind: 'network', network: 'lab' });
    assert.deepEqual(suggestTarget('vm network', networks), { kind: 'network', network: 'VM Network' });
    assert.deepEqual(suggestTarget('NAT', networks), { kind: 'nat' });
    assert.deepEqual(suggestTarget('Bridged', networks), { kind: 'nat' });
  });

  test('each source network once, in the order the cards name it, with how many cards use it', () => {
    const s = sourceNetworks([{ nics: [nic('NAT'), nic('lab')] }, { nics: [nic('lab'), nic('dmz')] }], [{ name: 'lab' }]);
    assert.deepEqual(s, [
      { source: 'NAT', cards: 1, suggested: { kind: 'nat' } },
      { source: 'lab', cards: 2, suggested: { kind: 'network', network: 'lab' } },
      { source: 'dmz', cards: 1, suggested: { kind: 'nat' } },
    ]);
  });

  test('choices override suggestions; a choice for a network the appliance does not name is a problem at its index', () => {
    const sources = sourceNetworks([{ nics: [nic('lab'), nic('dmz')] }], [{ name: 'lab' }]);
    const r = resolveMappings(sources, [
      { source: 'dmz', target: { kind: 'create', name: 'dmz', mode: 'hostonly' } },
      { source: 'lab', target: { kind: 'nat' } },
      { source: 'nowhere', target: { kind: 'nat' } },
    ]);
    assert.deepEqual([...r.targets], [
      ['lab', { kind: 'nat' }],
      ['dmz', { kind: 'create', name: 'dmz', mode: 'hostonly' }],
    ]);
    assert.deepEqual(r.problems, [{ index: 2, message: "the appliance has no network named 'nowhere' (it names 'lab', 'dmz')" }]);
    assert.equal(describeTarget({ kind: 'create', name: 'dmz', mode: 'hostonly' }), "new hostonly network 'dmz'");
  });
});
