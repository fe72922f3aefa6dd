import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { permissionHint, qemuCommand, qemuPrivileges, SETPRIV_ARGS, liveSnapshotMethod } from '../../../../src-vmm/qemu/privileges.js';

describe('QEMU privileges', () => {
  test('a user runs QEMU as themselves, unchanged', () => {
    const p = qemuPrivileges(1000, '/usr/bin/setpriv');
    assert.equal(p.kind, 'user');
    assert.match(p.summary, /uid 1000/);
    assert.deepEqual(qemuCommand('/usr/bin/qemu-system-x86_64', ['-S'], p), { binary: '/usr/bin/qemu-system-x86_64', argv: ['-S'] });
  });

  test('root runs QEMU through setpriv with every capability set emptied and no_new_privs, as an argument array', () => {
    const p = qemuPrivileges(0, '/usr/bin/setpriv');
    assert.equal(p.kind, 'root-without-capabilities');
    const c = qemuCommand('/usr/bin/qemu-system-x86_64', ['-name', 'guest=a b', '-S'], p);
    assert.equal(c.binary, '/usr/bin/setpriv');
    assert.deepEqual(c.argv, ['--inh-caps=-all', '--ambient-caps=-all', '--bounding-set=-all', '--no-new-privs', '--', '/usr/bin/qemu-system-x86_64', '-name', 'guest=a b', '-S']);
    assert.deepEqual([...SETPRIV_ARGS].sort(), ['--ambient-caps=-all', '--bounding-set=-all', '--inh-caps=-all', '--no-new-privs']);
  });

  test('without a working setpriv, root keeps its capabilities and the summary says so plainly, with why', () => {
    const missing = qemuPrivileges(0, null);
    assert.equal(missing.kind, 'root-with-capabilities');
    assert.match(missing.summary, /^QEMU runs as root with every capability of root: setpriv \(util-linux\) was not found$/);
    assert.deepEqual(qemuCommand('/q', ['-S'], missing), { binary: '/q', argv: ['-S'] });
    assert.match(qemuPrivileges(0, null, 'setpriv could not drop the capabilities here (EPERM)').summary, /EPERM/);
  });

  test("a 'Permission denied' from a QEMU without capabilities gets a hint; nothing else does", () => {
    const said = ["qemu-system-x86_64: -blockdev …: Could not open '/home/a/x.iso': Permission denied"];
    assert.match(permissionHint(qemuPrivileges(0, '/usr/bin/setpriv'), said) ?? '', /without root's capabilities/);
    assert.equal(permissionHint(qemuPrivileges(0, '/usr/bin/setpriv'), ['something else']), null);
    assert.equal(permissionHint(qemuPrivileges(1000, null), said), null);
    assert.equal(permissionHint(qemuPrivileges(0, null), said), null);
  });
});

describe('liveSnapshotMethod', () => {
  const rootNoCaps = qemuPrivileges(0, '/usr/bin/setpriv');
  const rootCaps = qemuPrivileges(0, null, 'setpriv was not found');
  const user = qemuPrivileges(1000, null);
  test('userfaultfd for everyone (setting 1) lets any QEMU save in the background', () => {
    for (const p of [rootNoCaps, rootCaps, user]) assert.equal(liveSnapshotMethod(p, '1\n').method, 'background');
  });
  test('with the setting 0 only a QEMU holding capabilities may; the others pause and say how to change it', () => {
    assert.equal(liveSnapshotMethod(rootCaps, '0\n').method, 'background');
    for (const p of [rootNoCaps, user]) {
      const m = liveSnapshotMethod(p, '0\n');
      assert.equal(m.method, 'paused');
      assert.match(m.why, /vm\.unprivileged_userfaultfd.*set it to 1/);
    }
  });
  test('a kernel without userfaultfd pauses whoever runs QEMU', () => {
    assert.equal(liveSnapshotMethod(rootCaps, null).method, 'paused');
  });
});
