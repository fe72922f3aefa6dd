import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveHome, vmPaths } from '../../../src-main/home.js';

describe('home folder', () => {
  test('HANGAR_HOME wins, else the platform data folder', () => {
    assert.equal(resolveHome({ HANGAR_HOME: '/tmp/h' }, 'linux', '/home/u'), '/tmp/h');
    assert.equal(resolveHome({}, 'linux', '/home/u'), '/home/u/.local/share/hangar');
    assert.equal(resolveHome({ XDG_DATA_HOME: '/data' }, 'linux', '/home/u'), '/data/hangar');
    assert.equal(resolveHome({}, 'darwin', '/Users/u'), '/Users/u/Library/Application Support/Hangar');
  });

  test('a VM folder has disks, snapshots, state, logs and a private run folder', () => {
    const p = vmPaths('/h', 'id1');
    assert.equal(p.dir, '/h/VMs/id1');
    for (const k of ['disks', 'snapshots', 'state', 'logs', 'run'] as const) assert.equal(p[k], `/h/VMs/id1/${k}`);
    assert.equal(p.qmpSocket, '/h/VMs/id1/run/qmp.sock');
  });
});
