import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { dnsmasqDecision, linkDecision, reconcileActions, type ReconcileFacts } from '../../../../src-main/networks/reconcile.js';
import { networkAlias, tapAlias } from '../../../../src-main/networks/hostState.js';
import type { NetworkRecord } from '../../../../src-main/networks/model.js';

const net = (id: string, over: Partial<NetworkRecord> = {}): NetworkRecord => ({ id, name: id, mode: 'nat', subnet: '10.77.0.0/24', dhcp: true, bridge: `br-${id}`, mcast: null, createdAt: '', ...over });
const facts = (over: Partial<ReconcileFacts>): ReconcileFacts => ({
  home: 'h1',
  networks: [],
  inUse: new Set(),
  wantedTaps: new Set(),
  links: [],
  tables: [],
  tableOf: (id) => `hangar_h1_${id}`,
  folders: [],
  ...over,
});

describe('reconcile at owner start-up', () => {
  test('networks that running VMs use are brought up again (bridged ones have nothing to bring up)', () => {
    const a = reconcileActions(facts({ networks: [net('lab'), net('idle'), net('lan', { mode: 'bridged' })], inUse: new Set(['lab', 'lan']) }));
    assert.deepEqual(a, [{ kind: 'start-network', networkId: 'lab' }]);
  });

  test("taps of VMs that no longer run go; this home's only, and never an interface without Hangar's alias", () => {
    const links = [
      { name: 'hgtkeep', kind: 'tun', alias: tapAlias('h1', 'v1', 'net0'), master: 'br-lab', up: true },
      { name: 'hgtgone', kind: 'tun', alias: tapAlias('h1', 'v2', 'net0'), master: 'br-lab', up: true },
      { name: 'hgtother', kind: 'tun', alias: tapAlias('h2', 'v9', 'net0'), master: null, up: true },
      { name: 'tap0', kind: 'tun', alias: null, master: null, up: true },
    ];
    const a = reconcileActions(facts({ links, wantedTaps: new Set(['hgtkeep']) }));
    assert.deepEqual(a, [{ kind: 'delete-tap', name: 'hgtgone' }]);
  });

  test('leftovers of networks the inventory no longer has: bridge, table, folder', () => {
    const links = [
      { name: 'br-lab', kind: 'bridge', alias: networkAlias('h1', 'lab'), master: null, up: true },
      { name: 'br-old', kind: 'bridge', alias: networkAlias('h1', 'old'), master: null, up: true },
      { name: 'br-h2', kind: 'bridge', alias: networkAlias('h2', 'x'), master: null, up: true },
    ];
    const a = reconcileActions(facts({ networks: [net('lab')], links, tables: ['hangar_h1_lab', 'hangar_h1_old'], folders: ['lab', 'old'] }));
    assert.deepEqual(a, [
      { kind: 'delete-bridge', name: 'br-old' },
      { kind: 'delete-table', name: 'hangar_h1_old' },
      { kind: 'remove-network-folder', networkId: 'old' },
    ]);
  });

  test('a bridge or tap is made when absent, adopted when ours, refused otherwise', () => {
    const alias = networkAlias('h1', 'lab');
    assert.deepEqual(linkDecision(undefined, { kind: 'bridge', alias }), { kind: 'create' });
    assert.deepEqual(linkDecision({ name: 'br', kind: 'bridge', alias, master: null, up: true }, { kind: 'bridge', alias }), { kind: 'adopt' });
    assert.equal(linkDecision({ name: 'br', kind: 'bridge', alias: null, master: null, up: true }, { kind: 'bridge', alias }).kind, 'conflict');
    assert.equal(linkDecision({ name: 'br', kind: 'veth', alias, master: null, up: true }, { kind: 'bridge', alias }).kind, 'conflict');
    assert.equal(linkDecision({ name: 'br', kind: 'bridge', alias: networkAlias('h2', 'lab'), master: null, up: true }, { kind: 'bridge', alias }).kind, 'conflict', "another home's");
  });

  test('dnsmasq: started when none of ours runs, kept (never a second) when it does, restarted when its configuration changed', () => {
    assert.equal(dnsmasqDecision(false, true), 'start');
    assert.equal(dnsmasqDecision(false, false), 'start');
    assert.equal(dnsmasqDecision(true, true), 'keep');
    assert.equal(dnsmasqDecision(true, false), 'restart');
  });
});
