import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { bridgeAclVerdict } from '../../../../src-main/networks/bridgeAcl.js';

const files = (map: Record<string, string>) => (path: string) => map[path] ?? null;

describe("qemu-bridge-helper's access list, read as the helper reads it", () => {
  test('allow names a bridge, or all; anything not allowed is denied', () => {
    const read = files({ '/etc/qemu/bridge.conf': '# comment\n\nallow br0\n' });
    assert.deepEqual(bridgeAclVerdict('br0', read), { allowed: true });
    assert.deepEqual(bridgeAclVerdict('br1', read), { allowed: false, why: "/etc/qemu/bridge.conf does not allow bridge br1 (the line 'allow br1' would)" });
    assert.deepEqual(bridgeAclVerdict('anything', files({ '/etc/qemu/bridge.conf': 'allow all' })), { allowed: true });
  });

  test('deny wins over allow, wherever it stands', () => {
    assert.deepEqual(bridgeAclVerdict('br0', files({ '/etc/qemu/bridge.conf': 'allow all\ndeny br0\n' })), { allowed: false, why: '/etc/qemu/bridge.conf denies bridge br0' });
    assert.equal(bridgeAclVerdict('br0', files({ '/etc/qemu/bridge.conf': 'deny all\nallow br0\n' })).allowed, false);
  });

  test('include reads another list; a missing file, an unknown line or includes nested too deep deny', () => {
    assert.equal(bridgeAclVerdict('br0', files({ '/etc/qemu/bridge.conf': 'include /etc/qemu/user.conf', '/etc/qemu/user.conf': 'allow br0' })).allowed, true);
    assert.deepEqual(bridgeAclVerdict('br0', files({})), { allowed: false, why: '/etc/qemu/bridge.conf cannot be read' });
    assert.deepEqual(bridgeAclVerdict('br0', files({ '/etc/qemu/bridge.conf': 'permit br0' })), { allowed: false, why: "/etc/qemu/bridge.conf: unknown command 'permit'" });
    assert.equal(bridgeAclVerdict('br0', files({ '/etc/qemu/bridge.conf': 'allow br0 br1' })).allowed, false);
    const loop = files({ '/etc/qemu/bridge.conf': 'include /etc/qemu/bridge.conf\nallow br0' });
    assert.match((bridgeAclVerdict('br0', loop) as { why: string }).why, /includes nest too deep/);
  });
});
