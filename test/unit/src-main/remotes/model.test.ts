import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as remotes from '../../../../src-main/remotes/model.js';

const { parseDomainList, parseEventLine, parseSnapshotList, parseVersion, readDomainState, reconnectDelayMs, remoteNameProblems, remoteUriProblems, splitRemoteRef, virshError, formatRemoteSnapshotTree } = remotes;

test('remote URIs: libvirt QEMU transports with /system or /session; anything else is named', () => {
  for (const ok of ['qemu:///system', 'qemu:///session', 'qemu+ssh://root@host/system', 'qemu+ssh://h:2222/system?keyfile=/k&no_verify=1', 'qemu+tcp://10.0.0.1/system', 'qemu:///system?socket=/tmp/x/libvirt-sock']) {
    assert.deepEqual(remoteUriProblems(ok), [], ok);
  }
  assert.match(remoteUriProblems('vbox://host/system')[0]!, /unknown URI scheme 'vbox'/);
  assert.match(remoteUriProblems('xen:///system')[0]!, /unknown URI scheme 'xen'/);
  assert.match(remoteUriProblems('qemu+ssh:///system')[0]!, /names a host/);
  assert.match(remoteUriProblems('qemu:///')[0]!, /path must be \/system or \/session/);
  assert.match(remoteUriProblems('qemu:///system x')[0]!, /white space/);
  assert.match(remoteUriProblems('host:22')[0]!, /not a libvirt URI/);
});

test('remote names and REMOTE/DOMAIN references', () => {
  assert.deepEqual(remoteNameProblems('lab-1'), []);
  assert.equal(remoteNameProblems('').length, 1);
  assert.equal(remoteNameProblems('-x').length, 1);
  assert.equal(remoteNameProblems('a/b').length, 1);
  assert.deepEqual(splitRemoteRef('lab/web'), { remote: 'lab', domain: 'web' });
  assert.deepEqual(splitRemoteRef('lab/a/b'), { remote: 'lab', domain: 'a/b' });
  assert.equal(splitRemoteRef('web'), undefined);
  assert.equal(splitRemoteRef('/web'), undefined);
  assert.equal(splitRemoteRef('lab/'), undefined);
});

test("virsh's outputs: list, version, events, snapshots, errors", () => {
  assert.deepEqual(parseDomainList(' 3    web    running\n -    db     shut off\n -    x      in shutdown\n'), [
    { id: 3, name: 'web', state: 'running' },
    { id: null, name: 'db', state: 'shut off' },
    { id: null, name: 'x', state: 'in shutdown' },
  ]);
  assert.equal(readDomainState('paused\n\n'), 'paused');
  assert.equal(readDomainState('blocked'), 'unknown');
  assert.deepEqual(parseVersion('Compiled against library: libvirt 9.0.0\nUsing library: libvirt 9.0.0\nUsing API: QEMU 9.0.0\nRunning hypervisor: QEMU 7.2.22\nRunning against daemon: 9.0.1\n'), {
    libvirt: '9.0.1',
    hypervisor: 'QEMU 7.2.22',
  });
  assert.deepEqual(parseEventLine("event 'lifecycle' for domain 'web': Started Booted"), { event: 'lifecycle', domain: 'web', detail: 'Started Booted' });
  assert.deepEqual(parseEventLine("event 'reboot' for domain 'web'"), { event: 'reboot', domain: 'web', detail: '' });
  assert.equal(parseEventLine('events received: 3'), undefined);
  const snaps = parseSnapshotList(' one        2026-12-06 14:10:48 +0000   running   \n two words  2026-12-06 14:11:00 +0000   shutoff   one\n', 'two words');
  assert.deepEqual(snaps, [
    { name: 'one', createdAt: '2026-12-06 14:10:48 +0000', state: 'running', parent: null, current: false },
    { name: 'two words', createdAt: '2026-12-06 14:11:00 +0000', state: 'shutoff', parent: 'one', current: true },
  ]);
  assert.equal(formatRemoteSnapshotTree(snaps), 'one  (running, 2026-12-06 14:10:48 +0000)\n  two words  (shutoff, 2026-12-06 14:11:00 +0000)  <- current');
  assert.equal(
    virshError("error: failed to connect to the hypervisor\nerror: unable to connect to server at '127.0.0.1:1': Connection refused\n"),
    "failed to connect to the hypervisor: unable to connect to server at '127.0.0.1:1': Connection refused",
  );
  assert.equal(virshError("error: failed to get domain 'x'\n"), "failed to get domain 'x'");
  // what failed, then why
  assert.equal(
    virshError("error: Failed to start domain 'rg'\nerror: Cannot access storage file '/p/rg.qcow2': No such file or directory\n"),
    "Failed to start domain 'rg': Cannot access storage file '/p/rg.qcow2': No such file or directory",
  );
});

test('reconnection backs off and stays bounded', () => {
  assert.deepEqual([0, 1, 2, 3].map(reconnectDelayMs), [1000, 2000, 4000, 8000]);
  assert.equal(reconnectDelayMs(50), 30_000);
});
