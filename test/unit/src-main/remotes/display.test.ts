import { test } from 'node:test';
import assert from 'node:assert/strict';
import { displayRoute, parseDomDisplay } from '../../../../src-main/remotes/display.js';

test('domdisplay: VNC display numbers become ports; unix sockets and IPv6 are read; other output is not VNC', () => {
  assert.deepEqual(parseDomDisplay('vnc://127.0.0.1:0\n\n'), { kind: 'tcp', host: '127.0.0.1', port: 5900 });
  assert.deepEqual(parseDomDisplay('vnc://localhost:12'), { kind: 'tcp', host: 'localhost', port: 5912 });
  assert.deepEqual(parseDomDisplay('vnc://[::1]:1'), { kind: 'tcp', host: '::1', port: 5901 });
  assert.deepEqual(parseDomDisplay('vnc://:secret@10.0.0.5:3'), { kind: 'tcp', host: '10.0.0.5', port: 5903 });
  assert.deepEqual(parseDomDisplay('vnc+unix:///var/lib/libvirt/qemu/vnc.sock'), { kind: 'unix', path: '/var/lib/libvirt/qemu/vnc.sock' });
  for (const bad of ['', 'spice://127.0.0.1:5901', 'vnc://h:99999', 'vnc://a b:0', 'vnc://host;rm:0']) assert.equal(parseDomDisplay(bad), null, bad);
});

test('display route: a local daemon directly; ssh with the URI own client, port, user and key as ssh -W; tcp only off loopback', () => {
  const lo = { kind: 'tcp', host: '127.0.0.1', port: 5900 } as const;
  assert.deepEqual(displayRoute('qemu:///system', lo), lo);
  assert.deepEqual(displayRoute('qemu:///system?socket=/tmp/x/libvirt-sock', { kind: 'unix', path: '/s' }), { kind: 'unix', path: '/s' });
  assert.deepEqual(displayRoute('qemu+ssh://root@127.0.0.1:2222/system?socket=/tmp/s&command=/tmp/sshd-x/ssh', lo), {
    kind: 'ssh',
    argv: ['/tmp/sshd-x/ssh', '-p', '2222', '-l', 'root', '-T', '-o', 'BatchMode=yes', '-o', 'ExitOnForwardFailure=yes', '-e', 'none', '-W', '127.0.0.1:5900', '--', '127.0.0.1'],
  });
  const r = displayRoute('qemu+ssh://host.example/system?keyfile=%2Fhome%2Fa%2Fk&no_verify=1', { kind: 'tcp', host: '::1', port: 5901 });
  assert.deepEqual(r, { kind: 'ssh', argv: ['ssh', '-i', '/home/a/k', '-o', 'StrictHostKeyChecking=no', '-T', '-o', 'BatchMode=yes', '-o', 'ExitOnForwardFailure=yes', '-e', 'none', '-W', '[::1]:5901', '--', 'host.example'] });
  // nothing an option parser could take for an option, nothing unreachable
  assert.match(displayRoute('qemu+ssh://h/system?command=-oProxyCommand=x', lo) as string, /not a program/);
  assert.match(displayRoute('qemu+ssh://-oX@h/system', lo) as string, /cannot use the host or user/);
  assert.match(displayRoute('qemu+ssh://h/system', { kind: 'unix', path: '/s' }) as string, /unix socket/);
  assert.match(displayRoute('qemu+tcp://h/system', lo) as string, /listens only on its host \(127\.0\.0\.1\): reach it over qemu\+ssh/);
  assert.deepEqual(displayRoute('qemu+tls://h/system', { kind: 'tcp', host: '10.1.1.1', port: 5900 }), { kind: 'tcp', host: '10.1.1.1', port: 5900 });
});
